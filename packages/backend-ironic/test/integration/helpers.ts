import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import { inject } from 'vitest';
import { silentLogger, type Backend, type BackendName, type CallContext, type MethodName, type NativeCid } from '@hybrid-cpi/core';
import type { IronicLab } from '../../../../test/support/ironic-lab.js';
import { MICROVERSION } from '../../../../test/support/ironic-lab.js';
import { createIronicBackend } from '../../src/backend.js';
import type { IronicConfig } from '../../src/config.js';
import { encodeStemcellCid } from '../../src/stemcell/cid.js';

/** The run's shared Ironic (test/integration/global-setup.ts). */
export function sharedLab(): IronicLab {
  return {
    url: inject('ironicUrl'),
    dir: inject('ironicDir'),
    pid: 0,
    headers: { 'X-OpenStack-Ironic-API-Version': MICROVERSION, 'Content-Type': 'application/json' },
    stop: async () => undefined,
  };
}

export function makeBackend(lab: IronicLab, extra: Partial<IronicConfig> = {}): Promise<Backend> {
  const config: IronicConfig = { type: 'ironic', ironic: { url: lab.url }, ...extra };
  return createIronicBackend(config, { name: 'metal' as BackendName, logger: silentLogger, agent: { mbus: 'nats://10.0.0.6:4222', ntp: ['0.pool.ntp.org'] } });
}

export function call(method: MethodName): CallContext {
  return {
    method,
    apiVersion: 2,
    requestedApiVersion: 2,
    requestId: `cpi-${randomUUID().slice(0, 6)}`,
    directorUuid: 'd',
    stemcellApiVersion: 3,
    context: {},
    directorRequest: undefined,
    logger: silentLogger,
    responseLog: { append: () => undefined },
    signal: new AbortController().signal,
  };
}

/** A stemcell CID; the fake deploy never fetches the image. */
export const STEMCELL = encodeStemcellCid({
  diskFormat: 'qcow2',
  hashAlgo: 'sha256',
  hash: 'a'.repeat(64),
  url: 'http://127.0.0.1:9/stemcell.qcow2',
}) as NativeCid<'stemcell'>;

/** An HTTP server answering any image URL, for deploy interfaces that check the image first. */
export async function imageServer(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': '4' });
    res.end(req.method === 'HEAD' ? undefined : 'disk');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/stemcell.qcow2`, close: () => server.close() };
}

/**
 * The config drive Ironic stored for a node. The API masks it ("******"), so it is read from the
 * lab's database, then unpacked and extracted with xorriso: a real ISO reader.
 */
export function storedConfigDrive(lab: IronicLab, nodeUuid: string): Map<string, string> {
  const db = new DatabaseSync(path.join(lab.dir, 'ironic.sqlite'), { readOnly: true });
  const row = db.prepare('SELECT instance_info FROM nodes WHERE uuid = ?').get(nodeUuid) as { instance_info: string } | undefined;
  db.close();
  const configdrive = (JSON.parse(row?.instance_info ?? '{}') as { configdrive?: string }).configdrive;
  if (configdrive === undefined) throw new Error(`node ${nodeUuid} has no stored config drive`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'configdrive-'));
  fs.writeFileSync(path.join(dir, 'cd.iso'), gunzipSync(Buffer.from(configdrive, 'base64')));
  const x = spawnSync('xorriso', ['-indev', path.join(dir, 'cd.iso'), '-osirrox', 'on', '-extract', '/', path.join(dir, 'out')], { encoding: 'utf8' });
  if (x.status !== 0) throw new Error(`xorriso: ${x.stderr}`);
  const label = spawnSync('xorriso', ['-indev', path.join(dir, 'cd.iso'), '-pvd_info'], { encoding: 'utf8' }).stdout;
  const files = new Map<string, string>([['(volume id)', /Volume Id\s*:\s*(\S+)/.exec(label)?.[1] ?? '']]);
  const walk = (d: string, prefix: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(d, entry.name), `${prefix}${entry.name}/`);
      else files.set(`${prefix}${entry.name}`, fs.readFileSync(path.join(d, entry.name), 'utf8'));
    }
  };
  walk(path.join(dir, 'out'), '');
  fs.rmSync(dir, { recursive: true, force: true });
  return files;
}
