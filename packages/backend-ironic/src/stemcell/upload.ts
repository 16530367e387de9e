import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { extract } from 'tar-stream';
import { CpiError, isCpiError, type Logger } from '@hybrid-cpi/core';
import { isNothingWritten, type ImageStore } from '../image-store/store.js';
import { ImageDigest } from './digest.js';
import { newImageName } from './object-name.js';
import { startProgress } from './progress.js';
import { scavenger } from './scavenge.js';

const ROOT_IMAGE = 'root.img';
/** How long removing a partial object may take once the upload has failed (or was aborted). */
const CLEANUP_TIMEOUT_MS = 60_000;
/**
 * Bytes of root.img between minor GCs (scavenge.ts): often enough to bound the dead Buffers, rare
 * enough that live ones (read-ahead, zlib's output) do not survive two scavenges and move to the
 * old generation, which only a major GC frees (every 4 MB measured worse than no scavenges at all).
 */
const SCAVENGE_EVERY = 8 << 20;

export interface UploadRequest {
  /** The director's extracted stemcell `image`: a gzipped tar holding `root.img`. */
  readonly imagePath: string;
  readonly diskFormat: 'qcow2' | 'raw';
  readonly store: ImageStore;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly progressIntervalMs?: number;
}

export interface UploadedImage {
  readonly name: string;
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
  readonly seconds: number;
}

type Stage = 'read' | 'gunzip' | 'tar';
type Uploaded = Omit<UploadedImage, 'name'> & { readonly mbPerS: number };

/**
 * Streams `root.img` out of the stemcell image into the store in one pass: file → gunzip → tar →
 * hash → store, never holding the image in memory nor writing a copy. The whole archive is read to
 * its end so that gzip's CRC vouches for the bytes sent. On any failure the object is deleted.
 */
export async function uploadRootImage(request: UploadRequest): Promise<UploadedImage> {
  const { imagePath, diskFormat, store, signal, logger } = request;
  const name = newImageName(diskFormat);
  const doing = `Uploading root.img of stemcell image ${imagePath} to image store ${store.location}`;
  await checkImageFile(imagePath, doing);

  const stop = new AbortController();
  const aborted = AbortSignal.any([signal, stop.signal]);
  // The first error of the reading side, by stage; errors caused by our own abort are noise.
  let failure: { stage: Stage; error: Error } | undefined;
  const note = (stage: Stage) => (error: Error) => {
    if (!aborted.aborted && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') failure ??= { stage, error };
  };
  const file = fs.createReadStream(imagePath, { highWaterMark: 1 << 20 }).on('error', note('read'));
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 18 }).on('error', note('gunzip'));
  const archive = extract();
  archive.on('error', note('tar'));
  const reading = pipeline(file, gunzip, archive, { signal: aborted }).then(
    () => undefined,
    (error: unknown) => error,
  );

  let written = false;
  let uploaded: Uploaded | undefined;
  const skipped: string[] = [];
  try {
    for await (const entry of archive) {
      const entryName = entry.header.name.replace(/^(\.\/)+/, '');
      if (entryName !== ROOT_IMAGE) {
        skipped.push(entryName);
        entry.resume();
        continue;
      }
      if (written) throw new CpiError('CPX_ARGUMENTS', `${doing}: the archive holds more than one ${ROOT_IMAGE}`);
      if (entry.header.type !== 'file' && entry.header.type !== 'contiguous-file') {
        // GNU tar's --sparse entries (type S) are not regular files either.
        throw new CpiError(
          'CPX_ARGUMENTS',
          `${doing}: ${ROOT_IMAGE} in the archive is not a regular file (tar entry type ${entry.header.type ?? 'unknown'}); repack it without --sparse`,
        );
      }
      written = true;
      uploaded = await send(entry as AsyncIterable<Buffer>, entry.header.size);
    }
    const error = await reading;
    if (error !== undefined) throw error;
    if (uploaded === undefined) {
      const seen = skipped.length === 0 ? 'it is empty' : `it holds ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', …' : ''}`;
      throw new CpiError('CPX_ARGUMENTS', `${doing}: the archive has no ${ROOT_IMAGE} (${seen}); is this a heavy OpenStack stemcell?`);
    }
  } catch (error) {
    stop.abort();
    await reading;
    const reported = explain(error, failure, signal, doing);
    if (written) await removePartial(store, name, reported, logger);
    throw reported;
  }
  const { url, size, seconds, mbPerS, sha256 } = uploaded;
  logger.info({ stemcell: imagePath, object: url, bytes: size, seconds, mb_per_s: mbPerS, sha256 }, 'uploaded stemcell');
  return { name, url, size, seconds, sha256 };

  async function send(entry: AsyncIterable<Buffer>, size: number): Promise<Uploaded> {
    const digest = new ImageDigest();
    const progress = startProgress(logger, { stemcell: imagePath, object: store.urlOf(name) }, size, () => digest.bytes, request.progressIntervalMs);
    let url: string;
    let timing: { seconds: number; mbPerS: number };
    try {
      url = await store.put(name, Readable.from(hashing(entry, digest), { objectMode: false }), size, aborted);
    } catch (error) {
      if (isNothingWritten(error)) written = false;
      throw error;
    } finally {
      timing = progress.stop();
    }
    if (digest.bytes !== size) throw new Error(`the store took ${digest.bytes} of ${size} bytes`);
    return { url, size, ...timing, ...digest.digest() };
  }
}

async function* hashing(entry: AsyncIterable<Buffer>, digest: ImageDigest): AsyncGenerator<Buffer> {
  const done = scavenger(SCAVENGE_EVERY);
  for await (const chunk of entry) {
    digest.update(chunk);
    yield chunk;
    done(chunk.length);
  }
}

async function checkImageFile(imagePath: string, doing: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(imagePath);
  } catch (error) {
    throw new CpiError('CPX_ARGUMENTS', `${doing}: cannot read the image: ${(error as Error).message}`, { cause: error });
  }
  if (!stat.isFile()) throw new CpiError('CPX_ARGUMENTS', `${doing}: the image is not a regular file`);
  if (stat.size === 0) {
    throw new CpiError(
      'CPX_ARGUMENTS',
      `${doing}: the image is empty, as in a light stemcell; a light stemcell for Ironic needs cloud_properties image_url and image_checksum`,
    );
  }
}

/** The error to report: an abort, else what broke on the reading side, else the store's error. */
function explain(error: unknown, failure: { stage: Stage; error: Error } | undefined, signal: AbortSignal, doing: string): CpiError {
  if (signal.aborted)
    return new CpiError('CPX_BACKEND_FAILURE', `${doing}: aborted (${String((signal.reason as Error | undefined)?.message ?? signal.reason)})`, {
      cause: error,
    });
  if (failure !== undefined) {
    const { stage, error: cause } = failure;
    const what =
      stage === 'read'
        ? `cannot read the image: ${cause.message}`
        : stage === 'gunzip'
          ? `the image is not an intact gzip file (gunzip: ${cause.message})`
          : `the image is not an intact tar archive (tar: ${cause.message})`;
    return new CpiError('CPX_ARGUMENTS', `${doing}: ${what}`, { cause });
  }
  if (isCpiError(error)) return error;
  return new CpiError('CPX_BACKEND_FAILURE', `${doing}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Deletes what a failed upload may have left; a failure to do so is added to the report. */
async function removePartial(store: ImageStore, name: string, reported: CpiError, logger: Logger): Promise<void> {
  try {
    await store.delete(name, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
  } catch (error) {
    logger.error({ object: store.urlOf(name), err: (error as Error).message }, 'removing a partly uploaded stemcell image failed');
    reported.message += `; removing the partial object ${store.urlOf(name)} failed too: ${(error as Error).message}`;
  }
}
