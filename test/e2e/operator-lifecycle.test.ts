// `hybrid-cpi lifecycle` through the built executable: the conformance suite against the memory
// backend and against the fixture delegate CPI (passing, and failing a method, with and without
// --keep-going), and that it leaves nothing behind; the --help texts and usage errors of both
// operator commands. Golden output under test/e2e/golden/.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, Workspace, readMemoryState } from './helpers/cpi.js';
import { expectGolden, normalise, runCommand } from './helpers/golden.js';

const FAKE_CPI = path.join(REPO_ROOT, 'test/fixtures/fake-cpi/fake-cpi.mjs');
const ws = new Workspace('lifecycle');
afterAll(() => ws.cleanup());

const norm = (text: string) => normalise(text, { '<ws>': ws.dir });

/** What the fixture CPI holds in its state dir: resources it made and did not delete. */
function fixtureResources(dir: string): string[] {
  return ['stemcells', 'vms', 'disks'].flatMap((kind) =>
    fs.existsSync(path.join(dir, kind)) ? fs.readdirSync(path.join(dir, kind)).map((f) => `${kind}/${f}`) : [],
  );
}

/** The methods the fixture CPI was called with, in order. */
function fixtureMethods(dir: string): string[] {
  return fs
    .readFileSync(path.join(dir, 'requests.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { method: string }).method);
}

function delegateConfig(name: string, control?: object): { file: string; state: string } {
  const state = ws.path(`${name}-state`);
  fs.mkdirSync(state);
  if (control !== undefined) fs.writeFileSync(path.join(state, 'control.json'), JSON.stringify(control));
  const file = ws.writeConfig(`${name}.json`, {
    backends: { vms: { type: 'delegate', command: [FAKE_CPI, '--state', state], stemcell_formats: ['vsphere-ova', 'vsphere-ovf'] } },
  });
  return { file, state };
}

describe('lifecycle against the memory backend', () => {
  it('passes every step, and the state is empty afterwards', async () => {
    const state = ws.path('memory-state.json');
    const file = ws.writeConfig('memory.json', { backends: { mem: { type: 'memory', stemcell_formats: ['openstack-qcow2'], state_file: state } } });
    const run = await runCommand(['lifecycle', '--config', file, '--backend', 'mem'], ws.dir);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    await expectGolden('lifecycle-memory.txt', norm(run.stdout));
    const after = readMemoryState(state);
    expect([after.stemcells, after.vms, after.disks]).toEqual([{}, {}, {}]);
  });

  it('--json: one event per line as it happens, the same steps', async () => {
    const file = ws.writeConfig('memory-json.json', { backends: { mem: { type: 'memory', stemcell_formats: ['openstack-qcow2'] } } });
    const run = await runCommand(['lifecycle', '--config', file, '--backend', 'mem', '--json'], ws.dir);
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; status?: string });
    expect(events[0]).toMatchObject({ event: 'start', backend: 'mem', type: 'memory', stemcell_image: 'placeholder' });
    expect(events.at(-1)).toEqual({ event: 'summary', steps: 17, ok: 17, failed: 0, skipped: 0, cleanup_failed: false });
    expect(events.filter((e) => e.event === 'step').every((e) => e.status === 'ok')).toBe(true);
    await expectGolden('lifecycle-memory.jsonl', norm(run.stdout).replace(/"ms":\d+/g, '"ms":"<ms>"'));
  });

  it('takes its inputs from a YAML file', async () => {
    const file = ws.writeConfig('memory-inputs.json', { backends: { mem: { type: 'memory', stemcell_formats: ['openstack-qcow2'] } } });
    const image = ws.image('inputs-image');
    const inputs = ws.writeConfig(
      'inputs.yml',
      `stemcell:\n  image: ${image}\n  cloud_properties: {infrastructure: openstack, disk_format: raw}\nvm:\n  networks:\n    a: {type: manual, ip: ` +
        `10.0.0.9, netmask: 255.255.255.0, cloud_properties: {}}\n    b: {type: dynamic, cloud_properties: {}}\ndisk: {size: 2048}\nparts: [stemcells, vms]\n`,
    );
    const run = await runCommand(['lifecycle', '-c', file, '-b', 'mem', '--inputs', inputs], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    // Without the disks part, no disk step runs.
    expect(run.stdout).not.toContain('create_disk');
    expect(run.stdout).toMatch(/^10 steps: 10 ok, 0 failed, 0 not run$/m);
  });
});

describe('lifecycle against the fixture delegate CPI', () => {
  it('passes every step, each one a real CPI process, and leaves nothing in the fixture', async () => {
    const { file, state } = delegateConfig('delegate');
    const run = await runCommand(['lifecycle', '--config', file, '--backend', 'vms'], ws.dir);
    expect(run.exitCode, run.stderr).toBe(0);
    await expectGolden('lifecycle-delegate.txt', norm(run.stdout));
    expect(fixtureResources(state)).toEqual([]);
    expect(fixtureMethods(state)).toContain('attach_disk');
  });

  it('a method that fails: exit 1, the failure under its step, the rest not run, and everything it made deleted', async () => {
    const { file, state } = delegateConfig('failing', {
      mode: 'error',
      methods: ['attach_disk'],
      error: { type: 'Bosh::Clouds::CloudError', message: 'attach_disk fails on purpose', ok_to_retry: false },
    });
    const run = await runCommand(['lifecycle', '--config', file, '--backend', 'vms'], ws.dir);
    expect(run.exitCode, run.stderr).toBe(1);
    await expectGolden('lifecycle-delegate-failing.txt', norm(run.stdout));
    expect(fixtureResources(state)).toEqual([]);
    // The clean-up ran after the failure: delete_disk, delete_vm and delete_stemcell reached the CPI.
    const methods = fixtureMethods(state);
    expect(methods.slice(methods.lastIndexOf('attach_disk') + 1)).toEqual(['detach_disk', 'delete_disk', 'delete_vm', 'delete_stemcell']);
  });

  it('--json: a failure carries its message and BOSH error type', async () => {
    const { file } = delegateConfig('failing-json', {
      mode: 'error',
      methods: ['attach_disk'],
      error: { type: 'Bosh::Clouds::CloudError', message: 'attach_disk fails on purpose', ok_to_retry: false },
    });
    const run = await runCommand(['lifecycle', '--config', file, '--backend', 'vms', '--json'], ws.dir);
    expect(run.exitCode, run.stderr).toBe(1);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.find((e) => e['status'] === 'failed')).toMatchObject({
      event: 'step',
      name: expect.stringMatching(/^attach_disk/),
      message: expect.stringContaining('attach_disk fails on purpose'),
      error_type: 'Bosh::Clouds::CloudError',
    });
    expect(events.filter((e) => e['event'] === 'cleanup').map((e) => e['ok'])).toEqual([true, true, true]);
  });

  it('--keep-going runs the later steps after the failure, and leaves nothing either', async () => {
    const { file, state } = delegateConfig('keep-going', {
      mode: 'error',
      methods: ['attach_disk'],
      error: { type: 'Bosh::Clouds::CloudError', message: 'attach_disk fails on purpose', ok_to_retry: false },
    });
    const run = await runCommand(['lifecycle', '--config', file, '--backend', 'vms', '--keep-going'], ws.dir);
    expect(run.exitCode, run.stderr).toBe(1);
    await expectGolden('lifecycle-delegate-keep-going.txt', norm(run.stdout));
    expect(fixtureResources(state)).toEqual([]);
  });
});

describe('--help and usage errors', () => {
  it('each command has --help on stdout, exit 0; the top-level help lists them', async () => {
    for (const command of ['doctor', 'lifecycle']) {
      const run = await runCommand([command, '--help'], ws.dir);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toBe('');
      await expectGolden(`${command}-help.txt`, run.stdout);
    }
    // Top-level --help and --version are the output asked for: stdout, so `hybrid-cpi --help | less` works.
    const top = await runCommand(['--help'], ws.dir);
    expect([top.exitCode, top.stderr]).toEqual([0, '']);
    for (const command of ['validate', 'explain', 'nodes', 'doctor', 'lifecycle']) expect(top.stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
    const version = await runCommand(['--version'], ws.dir);
    expect([version.exitCode, version.stdout, version.stderr]).toEqual([0, expect.stringMatching(/^hybrid-cpi \d+\.\d+\.\d+\n$/), '']);
  });

  it('usage errors exit 2 with a message and a pointer to --help on stderr, nothing on stdout', async () => {
    const config = ws.writeConfig('usage.json', { backends: { mem: { type: 'memory', stemcell_formats: ['openstack-qcow2'] } } });
    const badInputs = ws.writeConfig('bad-inputs.yml', 'vm:\n  networks: [a]\n');
    const unknownKey = ws.writeConfig('unknown-key.yml', 'stemcells: {}\n');
    const cases = [
      ['doctor'],
      ['doctor', '--config'],
      ['doctor', '--config', config, '--verbose'],
      ['doctor', '--config', config, 'extra'],
      ['lifecycle', '--config', config],
      ['lifecycle', '--config', config, '--backend', 'metal'],
      ['lifecycle', '--config', config, '--backend', 'mem', '--inputs', ws.path('missing.yml')],
      ['lifecycle', '--config', config, '--backend', 'mem', '--inputs', badInputs],
      ['lifecycle', '--config', config, '--backend', 'mem', '--inputs', unknownKey],
    ];
    const transcript: string[] = [];
    for (const argv of cases) {
      const run = await runCommand(argv, ws.dir);
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`\nRun 'hybrid-cpi ${argv[0]} --help' for its usage.\n`);
      transcript.push(`$ hybrid-cpi ${argv.join(' ')}\nexit ${run.exitCode}\n${run.stderr.split('\n')[0]}\n`);
    }
    await expectGolden('doctor-lifecycle-usage-errors.txt', norm(transcript.join('\n')));
  });

  it('a config that does not load is a finding of lifecycle (exit 1), not a usage error', async () => {
    const broken = ws.writeConfig('broken.json', { backends: { mem: { type: 'memory' } } });
    const run = await runCommand(['lifecycle', '--config', broken, '--backend', 'mem'], ws.dir);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(norm(run.stderr)).toBe(
      'hybrid-cpi lifecycle: the config <ws>/broken.json is not usable (hybrid-cpi doctor says more):\n- backends.mem.stemcell_formats: is required\n',
    );
  });
});
