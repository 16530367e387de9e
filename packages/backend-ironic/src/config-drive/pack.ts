import { gzipSync } from 'node:zlib';

/** The form Ironic's API takes as `configdrive`: the ISO image gzipped, then base64-encoded. */
export function packConfigDrive(iso: Buffer): string {
  return gzipSync(iso).toString('base64');
}
