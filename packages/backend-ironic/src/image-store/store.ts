import type { Readable } from 'node:stream';

/**
 * Where stemcell images go so that Ironic can fetch them: a flat collection of objects, each
 * reachable at a URL. Methods throw plain Errors that say what failed; callers add what they were
 * doing with which stemcell.
 */
export interface ImageStore {
  /** The store's base URL for messages, without credentials. */
  readonly location: string;
  /** The URL Ironic fetches object `name` from. */
  urlOf(name: string): string;
  /**
   * Writes `size` bytes of `body` as object `name` and returns its URL. On failure the object may
   * be partly written and the caller deletes it, unless the error is a {@link NothingWritten}.
   */
  put(name: string, body: Readable, size: number, signal: AbortSignal): Promise<string>;
  /** Reads object `name` back the way the store writes it (with its credentials): for checks. */
  read(name: string, signal: AbortSignal): Promise<Buffer>;
  /** Deletes object `name`; a missing object is success. */
  delete(name: string, signal: AbortSignal): Promise<void>;
  /** The object a URL names, or undefined when the URL is not in this store. */
  nameOf(url: string): string | undefined;
  /** Releases connections. */
  close(): Promise<void>;
}

/** A put that failed before anything reached the store (a refused probe): nothing to delete. */
export class NothingWritten extends Error {
  readonly nothingWritten = true;
}

export function isNothingWritten(error: unknown): boolean {
  return (error as { nothingWritten?: unknown } | undefined)?.nothingWritten === true;
}
