import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { afterEach } from 'vitest';
import { pack } from 'tar-stream';
import { silentLogger, type BackendName, type CallContext, type Logger } from '@hybrid-cpi/core';
import type { IronicConfig, IronicContext } from '../../../src/config.js';
import type { IronicClient } from '../../../src/ironic/client.js';
import { realClock, realSleep } from '../../../src/ironic/backoff.js';
import type { ImageStore } from '../../../src/image-store/store.js';
import { objectNameIn } from '../../../src/image-store/urls.js';

export { captureLogger, type LogEntry } from '../ironic/helpers.js';

/** A fresh temp dir per call, removed after the test. */
export function useTempDirs(): () => string {
  let dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stemcell-unit-'));
    dirs.push(dir);
    return dir;
  };
}

export interface TarEntry {
  readonly name: string;
  readonly data?: Buffer;
  readonly type?: 'file' | 'symlink' | 'directory';
}

/** Writes a (gzipped unless `gzip: false`) tar of `entries` and returns its path. */
export async function writeTarball(file: string, entries: readonly TarEntry[], options: { gzip?: boolean } = {}): Promise<string> {
  const tar = pack();
  const source = tar as unknown as Readable;
  const packing = options.gzip === false ? pipeline(source, fs.createWriteStream(file)) : pipeline(source, zlib.createGzip(), fs.createWriteStream(file));
  for (const entry of entries) {
    if (entry.type === 'symlink') tar.entry({ name: entry.name, type: 'symlink', linkname: 'elsewhere.img' });
    else if (entry.type === 'directory') tar.entry({ name: entry.name, type: 'directory' });
    else tar.entry({ name: entry.name, size: entry.data?.length ?? 0 }, entry.data ?? Buffer.alloc(0));
  }
  tar.finalize();
  await packing;
  return file;
}

/** A heavy OpenStack stemcell's `image`: `stemcell.MF`-like noise around `root.img`. */
export async function writeStemcellImage(dir: string, rootImg: Buffer, name = 'root.img'): Promise<string> {
  return writeTarball(path.join(dir, 'image'), [
    { name: 'other.txt', data: Buffer.from('not the image\n') },
    { name, data: rootImg },
  ]);
}

/** Disk-like bytes: runs of zeros between random blocks; `size` need not be a multiple of 512. */
export function diskBytes(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let at = 0; at < size; at += 64 * 1024) if ((at / 65536) % 3 !== 1) randomBytes(Math.min(65536, size - at)).copy(data, at);
  return data;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * An in-memory store. `failAfter` makes put fail once it has taken that many bytes;
 * `chunkDelayMs` slows it down; `ignoreSignal` leaves aborting to the body.
 */
export class FakeStore implements ImageStore {
  readonly location = 'http://store.test/images';
  readonly objects = new Map<string, Buffer>();
  readonly deleted: string[] = [];
  readonly puts: { name: string; size: number }[] = [];
  failAfter: number | undefined;
  chunkDelayMs = 0;
  /** Called with the byte count after each chunk. */
  onChunk: ((bytes: number) => void) | undefined;

  urlOf(name: string): string {
    return `${this.location}/${name}`;
  }

  async put(name: string, body: Readable, size: number, _signal: AbortSignal): Promise<string> {
    this.puts.push({ name, size });
    const chunks: Buffer[] = [];
    let bytes = 0;
    this.objects.set(name, Buffer.alloc(0));
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      this.objects.set(name, Buffer.concat(chunks));
      this.onChunk?.(bytes);
      if (this.failAfter !== undefined && bytes >= this.failAfter)
        throw new Error(`PUT ${this.urlOf(name)} answered 507 Insufficient Storage: the store is out of space`);
      if (this.chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chunkDelayMs));
    }
    return this.urlOf(name);
  }

  async read(name: string): Promise<Buffer> {
    const object = this.objects.get(name);
    if (object === undefined) throw new Error(`GET ${this.urlOf(name)} answered 404 Not Found`);
    return object;
  }

  async delete(name: string): Promise<void> {
    this.deleted.push(name);
    this.objects.delete(name);
  }

  nameOf(url: string): string | undefined {
    return objectNameIn(this.location, url);
  }

  async close(): Promise<void> {}
}

export function ironicContext(config: Partial<IronicConfig> = {}, logger: Logger = silentLogger): IronicContext {
  return {
    name: 'metal' as BackendName,
    config: { type: 'ironic', ironic: { url: 'http://ironic.test:6385' }, ...config },
    agent: undefined,
    client: {} as IronicClient,
    logger,
    clock: realClock,
    sleep: realSleep,
    useAllocations: async () => true,
  };
}

export function callContext(signal: AbortSignal = new AbortController().signal): CallContext {
  return {
    method: 'create_stemcell',
    apiVersion: 2,
    requestedApiVersion: 2,
    requestId: 'cpi-1',
    directorUuid: 'd',
    stemcellApiVersion: undefined,
    context: {},
    directorRequest: undefined,
    logger: silentLogger,
    responseLog: { append: () => undefined },
    signal,
  };
}

export const OPENSTACK_QCOW2 = {
  name: 'bosh-openstack-kvm-ubuntu-jammy-go_agent',
  version: '1.0',
  infrastructure: 'openstack',
  hypervisor: 'kvm',
  disk: 5120,
  disk_format: 'qcow2',
  container_format: 'bare',
  os_type: 'linux',
  os_distro: 'ubuntu',
  architecture: 'x86_64',
} as const;
