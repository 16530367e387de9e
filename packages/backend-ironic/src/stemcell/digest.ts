import { createHash, type Hash } from 'node:crypto';

/**
 * The sha256 of a byte stream, for the stemcell CID: Ironic checks the download against it
 * (`image_os_hash_algo`/`image_os_hash_value`). No md5: Ironic has accepted those fields without
 * `image_checksum` since 15.0 (Ussuri), and older servers need a light stemcell with an md5.
 */
export class ImageDigest {
  #sha256: Hash = createHash('sha256');
  bytes = 0;

  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.bytes += chunk.byteLength;
  }

  /** The hex digest; call once, at the end. */
  digest(): { sha256: string } {
    return { sha256: this.#sha256.digest('hex') };
  }
}
