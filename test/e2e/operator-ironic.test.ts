// `hybrid-cpi doctor` and `hybrid-cpi lifecycle` through the built executable against real
// servers on loopback: one Ironic (http_basic) for the file, nginx WebDAV stores (one writable
// with anonymous reads as Ironic fetches, one read-only, one that wants credentials for reads
// too), the fixture delegate CPI, a port nothing listens on, and nginx where Ironic should be.
// Golden output under test/e2e/golden/.
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
let authRead: WebDavLab;
let closedPort: number;

beforeAll(async () => {
  [lab, store, readOnly, authRead, closedPort] = await Promise.all([
    startIronic({ auth: { type: 'http_basic', username: 'cpi', password: PASSWORD } }),
    startWebDav({ anonymousRead: true }),
    startWebDav({ readOnly: true }),
    startWebDav(),
    freePort(),
  ]);
  fs.mkdirSync(path.join(store.root, 'files'));
});
afterAll(async () => {
  await Promise.all([lab?.stop(), store?.stop(), readOnly?.stop(), authRead?.stop()]);
  ws.cleanup();
});

const norm = (text: string) => normalise(text, { '<ws>': ws.dir, '<webdav-root>': store.root });
const ironic = (auth: object, url = lab.url) => ({ url, auth });
const basic = (password: string, url = lab.url) => ironic({ type: 'http_basic', username: 'cpi', password }, url);
const webdav = (lab: WebDavLab | string, collection = 'images') =>
  typeof lab === 'string'
    ? { type: 'webdav', url: `${lab}/${collection}`, username: 'bosh', password: 'nope-not-a-server' }
    : { type: 'webdav', url: `${lab.url}/${collection}`, username: lab.username, password: lab.password };

function fixture(name: string, extra: { control?: object; args?: string[]; section?: object } = {}): object {
  const state = ws.path(`${name}-state`);
  fs.mkdirSync(state, { recursive: true });
  if (extra.control !== undefined) fs.writeFileSync(path.join(state, 'control.json'), JSON.stringify(extra.control));
  return { type: 'delegate', command: [FAKE_CPI, '--state', state, ...(extra.args ?? [])], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'], ...extra.section };
}

/** Every file under a WebDAV lab's root (what a probe could have left). */
function storedFiles(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
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

    // --json: the same checks, as one object.
    const json = await runCommand(['doctor', '--config', config, '--json'], ws.dir);
    expect([json.exitCode, json.stderr]).toEqual([0, '']);
    await expectGolden('doctor-ok.json', norm(json.stdout));
    const parsed = JSON.parse(json.stdout) as { checks: { subject: string; status: string; text: string }[]; problems: number; warnings: number };
    expect([parsed.problems, parsed.warnings, parsed.checks.length]).toEqual([0, 0, run.stdout.trim().split('\n').length - 1]);
    for (const check of parsed.checks)
      expect(run.stdout).toMatch(new RegExp(`^${check.status} +${check.subject} +${check.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('problems, each with its fix: wrong password, no credentials, closed port, read-only, unreachable stores, bad delegates; exit 1', async () => {
    const config = ws.writeConfig('problems.json', {
      default_backend: 'wrong-pw',
      backends: {
        'wrong-pw': { type: 'ironic', ironic: basic(WRONG), image_store: webdav(readOnly) },
        'no-auth': { type: 'ironic', ironic: ironic({ type: 'noauth' }) },
        closed: { type: 'ironic', ironic: basic(WRONG, `http://127.0.0.1:${closedPort}`), image_store: webdav(`http://127.0.0.1:${closedPort}`) },
        missing: { type: 'delegate', command: ['/var/vcap/jobs/nothing/bin/cpi'], stemcell_formats: ['vsphere-ovf'] },
        garbage: fixture('garbage', { control: { mode: 'garbage' } }),
        older: fixture('older', { args: ['--api-version', '1', '--formats', 'vsphere-ova'], section: { api_version: 2 } }),
        // A store that wants credentials for GET too: the CPI's write and read work, Ironic's does not.
        'auth-read': { type: 'ironic', ironic: basic(PASSWORD), image_store: webdav(authRead) },
        // nginx where Ironic should be: it answers, but with an HTML page.
        'not-ironic': { type: 'ironic', ironic: ironic({ type: 'noauth' }, store.url) },
      },
    });
    const run = await runCommand(['doctor', '--config', config], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toBe('');
    await expectGolden('doctor-problems.txt', norm(run.stdout));
    expect(storedFiles(readOnly.root)).toEqual([]);
    expect(storedFiles(authRead.root)).toEqual([]);
    for (const secret of [WRONG, PASSWORD, readOnly.password!, authRead.password!, 'nope-not-a-server']) expect(run.stdout + run.stderr).not.toContain(secret);
    const out = norm(run.stdout);
    expect(out).toContain(
      "problem auth-read   image store http://127.0.0.1:<port>/images: the CPI writes and reads it with the configured credentials (user 'bosh'), but " +
        'a GET without credentials, as Ironic fetches images, answers 401; this Ironic (API 1.82, older than Ironic 24.0) always fetches images ' +
        'without credentials',
    );
    expect(out).toContain('problem not-ironic  http://127.0.0.1:<port> answered 403 to GET / with an HTML page: it is not the Ironic API');
    expect(out).not.toMatch(/<html/i);
  });

  it('a server that is not Ironic is named as such by the listing commands, never pasted', async () => {
    const config = ws.writeConfig('not-ironic.json', { backends: { metal: { type: 'ironic', ironic: ironic({ type: 'noauth' }, store.url) } } });
    const run = await runCommand(['nodes', '--config', config], ws.dir);
    expect(run.exitCode).toBe(1);
    expect(norm(run.stdout)).toBe(
      'backend metal: Listing the Ironic nodes: http://127.0.0.1:<port> answered 403 with an HTML page; is this the Ironic API endpoint?\n',
    );
  });

  it('an invalid config: one problem per key path, exit 1', async () => {
    const config = ws.writeConfig(
      'invalid.yml',
      `default_backend: nowhere\nbackends:\n  metal:\n    type: ironic\n    ironic: {url: ftp://10.0.0.5, auth: {type: http_basic, username: cpi}}\n  ` +
        `  image_store: {type: webdav}\n`,
    );
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

  it('without --inputs: a stemcell image it makes (openstack-raw) in the WebDAV store, every step passes, then the node is free, the store empty', async () => {
    // The only node of this Ironic: the default, selector-less vm_type takes it.
    const config = ws.writeConfig('lifecycle-ironic.json', {
      agent: { mbus: 'nats://10.0.0.6:4222' },
      backends: { metal: { type: 'ironic', ironic: basic(PASSWORD), image_store: webdav(store) } },
    });
    const run = await runCommand(['lifecycle', '--config', config, '--backend', 'metal'], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    await expectGolden('lifecycle-ironic.txt', norm(run.stdout));
    const after = await waitFor(lab, node.uuid, 'available');
    expect([after.instance_uuid, after.allocation_uuid]).toEqual([null, null]);
    expect((await api(lab, 'GET', '/v1/allocations')).allocations).toEqual([]);
    expect(storedFiles(store.root)).toEqual([]);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});
