// `hybrid-cpi doctor` and `hybrid-cpi lifecycle` through the built executable against real
// servers on loopback: one Ironic (http_basic) for the file, nginx WebDAV stores (one writable
// with anonymous reads as Ironic fetches, one read-only), the fixture delegate CPI, and a port
// nothing listens on. Golden output under test/e2e/golden/.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';
import { api, enrollFakeNodes, waitFor, type FakeNode } from '../support/ironic-nodes.js';
import { startWebDav, type WebDavLab } from '../support/webdav-lab.js';
import { REPO_ROOT, Workspace } from './helpers/cpi.js';
import { expectGolden, normalise, runCommand } from './helpers/golden.js';

const FAKE_CPI = path.join(REPO_ROOT, 'test/fixtures/fake-cpi/fake-cpi.mjs');
const PASSWORD = `pw-${randomUUID()}`;
const WRONG = `wrong-${randomUUID()}`;
const ws = new Workspace('operator-ironic');
let lab: IronicLab;
let store: WebDavLab;
let readOnly: WebDavLab;
let closedPort: number;

beforeAll(async () => {
  [lab, store, readOnly, closedPort] = await Promise.all([
    startIronic({ auth: { type: 'http_basic', username: 'cpi', password: PASSWORD } }),
    startWebDav({ anonymousRead: true }),
    startWebDav({ readOnly: true }),
    freePort(),
  ]);
  fs.mkdirSync(path.join(store.root, 'files'));
});
afterAll(async () => {
  await Promise.all([lab?.stop(), store?.stop(), readOnly?.stop()]);
  ws.cleanup();
});

const norm = (text: string) => normalise(text, { '<ws>': ws.dir, '<webdav-root>': store.root });
const ironic = (auth: object, url = lab.url) => ({ url, auth });
const basic = (password: string, url = lab.url) => ironic({ type: 'http_basic', username: 'cpi', password }, url);
const webdav = (lab: WebDavLab | string, collection = 'images') =>
  typeof lab === 'string' ? { type: 'webdav', url: `${lab}/${collection}`, username: 'bosh', password: 'nope-not-a-server' } : { type: 'webdav', url: `${lab.url}/${collection}`, username: lab.username, password: lab.password };

function fixture(name: string, extra: { control?: object; args?: string[]; section?: object } = {}): object {
  const state = ws.path(`${name}-state`);
  fs.mkdirSync(state, { recursive: true });
  if (extra.control !== undefined) fs.writeFileSync(path.join(state, 'control.json'), JSON.stringify(extra.control));
  return { type: 'delegate', command: [FAKE_CPI, '--state', state, ...(extra.args ?? [])], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'], ...extra.section };
}

/** Every file under a WebDAV lab's root (what a probe could have left). */
function storedFiles(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

describe('doctor', () => {
  it('all fine: Ironic, a WebDAV store, a file store and the fixture delegate; exit 0; no probe left; no secret printed', async () => {
    const config = ws.writeConfig('ok.json', {
      default_backend: 'metal',
      backends: {
        metal: { type: 'ironic', ironic: basic(PASSWORD), image_store: webdav(store) },
        files: { type: 'ironic', ironic: basic(PASSWORD), image_store: { type: 'file', path: path.join(store.root, 'files'), url: `${store.url}/files` } },
        vms: fixture('ok'),
      },
    });
    const run = await runCommand(['doctor', '--config', config], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    await expectGolden('doctor-ok.txt', norm(run.stdout));
    expect(storedFiles(store.root)).toEqual([]);
    for (const secret of [PASSWORD, store.password!]) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('problems, each with its fix: wrong password, no credentials, closed port, read-only and unreachable stores, a missing and a garbage delegate; exit 1', async () => {
    const config = ws.writeConfig('problems.json', {
      default_backend: 'wrong-pw',
      backends: {
        'wrong-pw': { type: 'ironic', ironic: basic(WRONG), image_store: webdav(readOnly) },
        'no-auth': { type: 'ironic', ironic: ironic({ type: 'noauth' }) },
        closed: { type: 'ironic', ironic: basic(WRONG, `http://127.0.0.1:${closedPort}`), image_store: webdav(`http://127.0.0.1:${closedPort}`) },
        missing: { type: 'delegate', command: ['/var/vcap/jobs/nothing/bin/cpi'], stemcell_formats: ['vsphere-ovf'] },
        garbage: fixture('garbage', { control: { mode: 'garbage' } }),
        older: fixture('older', { args: ['--api-version', '1', '--formats', 'vsphere-ova'], section: { api_version: 2 } }),
      },
    });
    const run = await runCommand(['doctor', '--config', config], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toBe('');
    await expectGolden('doctor-problems.txt', norm(run.stdout));
    expect(storedFiles(readOnly.root)).toEqual([]);
    for (const secret of [WRONG, PASSWORD, readOnly.password!, 'nope-not-a-server']) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('an invalid config: one problem per key path, exit 1', async () => {
    const config = ws.writeConfig('invalid.yml', `default_backend: nowhere\nbackends:\n  metal:\n    type: ironic\n    ironic: {url: ftp://10.0.0.5, auth: {type: http_basic, username: cpi}}\n    image_store: {type: webdav}\n`);
    const run = await runCommand(['doctor', '--config', config], ws.dir);
    expect(run.exitCode).toBe(1);
    await expectGolden('doctor-invalid-config.txt', norm(run.stdout));
  });
});

describe('lifecycle against the real Ironic', () => {
  const resourceClass = `lifecycle-${randomUUID().slice(0, 8)}`;
  let node: FakeNode;
  beforeAll(async () => {
    node = (await enrollFakeNodes(lab, 1, () => ({ resourceClass })))[0]!;
  });

  it('passes every step with a heavy stemcell in the WebDAV store, then the node is free and the store empty', async () => {
    const work = ws.path('stemcell');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'root.img'), Buffer.alloc(1 << 20, 'root'));
    const tar = spawnSync('tar', ['-czf', path.join(work, 'image'), '-C', work, 'root.img']);
    expect(tar.status, String(tar.stderr)).toBe(0);
    const config = ws.writeConfig('lifecycle-ironic.json', { agent: { mbus: 'nats://10.0.0.6:4222' }, backends: { metal: { type: 'ironic', ironic: basic(PASSWORD), image_store: webdav(store) } } });
    const inputs = ws.writeConfig('lifecycle-ironic-inputs.json', {
      stemcell: { image: path.join(work, 'image'), cloud_properties: { infrastructure: 'openstack', disk_format: 'qcow2', container_format: 'bare' } },
      vm: { cloud_properties: { resource_class: resourceClass } },
    });
    const run = await runCommand(['lifecycle', '--config', config, '--backend', 'metal', '--inputs', inputs], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    await expectGolden('lifecycle-ironic.txt', norm(run.stdout));
    const after = await waitFor(lab, node.uuid, 'available');
    expect([after.instance_uuid, after.allocation_uuid]).toEqual([null, null]);
    expect((await api(lab, 'GET', '/v1/allocations')).allocations).toEqual([]);
    expect(storedFiles(store.root)).toEqual([]);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});
