import { createHash, type Hash } from 'node:crypto';

/** The sha256 (for the CID, so Ironic checks the download) and md5 of a byte stream, in one pass. */
export class ImageDigest {
  #sha256: Hash = createHash('sha256');
  #md5: Hash = createHash('md5');
  bytes = 0;

  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#md5.update(chunk);
    this.bytes += chunk.byteLength;
  }

  /** Hex digests; call once, at the end. */
  digest(): { sha256: string; md5: string } {
    return { sha256: this.#sha256.digest('hex'), md5: this.#md5.digest('hex') };
  }
}
