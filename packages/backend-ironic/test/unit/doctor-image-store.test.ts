import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName, Finding } from '@hybrid-cpi/core';
import type { IronicConfig } from '../../src/config.js';
import type { VersionRange } from '../../src/ironic/microversions.js';
import { checkImageStore } from '../../src/operator/doctor-image-store.js';

// A `file` image store (the CPI writes the directory) served by a web server on loopback that
// wants credentials for every GET: the CPI's own write and read work, Ironic's anonymous read
// does not. Whether that is a problem depends on the Ironic: before 24.0 it cannot send any.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-image-store-'));
let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((_request, response) => response.writeHead(401, { 'www-authenticate': 'Basic realm="images"' }).end('<html>401</html>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/images`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function checks(ironic: VersionRange | undefined): Promise<Finding[]> {
  const found: Finding[] = [];
  const config = { type: 'ironic', ironic: { url: 'http://127.0.0.1:9' }, image_store: { type: 'file', path: dir, url } } as unknown as IronicConfig;
  const ctx = { name: 'metal' as BackendName, seams: {}, signal: AbortSignal.timeout(10_000), report: (check: Finding) => found.push(check) };
  await checkImageStore(config, ctx, ironic);
  return found;
}

describe('doctor: an image store that wants credentials for reads', () => {
  it('is a problem with an Ironic older than 24.0 (API below 1.89), which always fetches without credentials', async () => {
    const found = await checks({ min: '1.1', max: '1.82' });
    expect(found.map((c) => c.status)).toEqual(['ok', 'ok', 'problem', 'ok']);
    expect(found[2]!.text).toContain(
      'the CPI writes and reads it in the directory, but a GET without credentials, as Ironic fetches images, answers 401; this Ironic (API 1.82, ' +
        'older than Ironic 24.0) always fetches images without credentials',
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('is a warning with a newer Ironic, or one not reached: it may be configured to send credentials', async () => {
    for (const ironic of [{ min: '1.1', max: '1.89' } as const, undefined]) {
      const found = await checks(ironic);
      expect(found.map((c) => c.status)).toEqual(['ok', 'ok', 'warning', 'ok']);
      expect(found[2]!.text).toContain('unless its ironic.conf sets [deploy] image_server_auth_strategy = http_basic (Ironic 24.0 or later)');
      expect(found[2]!.fix).toContain('image_server_user and image_server_password');
    }
  });
});
