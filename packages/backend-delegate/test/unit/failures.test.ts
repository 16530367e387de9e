// Every way a delegate CPI can fail, through the real exec path: the proxy answers with a clear
// error the director knows, and leaves no process behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOSH_ERROR_TYPES, type CpiError, classify, isCpiError, type BackendName } from '@hybrid-cpi/core';
import { createDelegateBackend, type DelegateBackend } from '../../src/backend.js';
import { FakeCpi, RecordingLogger, callContext, delegateBackend, native, processExists } from './helpers.js';

let cpi: FakeCpi;
beforeEach(() => {
  cpi = new FakeCpi();
});
afterEach(() => cpi.cleanup());

/** The error a call rejects with (and that it is a CpiError). */
async function failure(promise: Promise<unknown>): Promise<CpiError> {
  try {
    await promise;
  } catch (error) {
    expect(isCpiError(error), String(error)).toBe(true);
    return error as CpiError;
  }
  throw new Error('expected the call to fail');
}

const hasVm = (backend: DelegateBackend, cid = 'vm-1', logger = new RecordingLogger(), log: string[] = []) =>
  backend.hasVm(callContext('has_vm', [`vms:${cid}`], { logger, responseLog: { append: (text) => log.push(text) } }), native(cid));

describe('a response the director would accept', () => {
  it('a non-zero exit with a valid response is accepted (the director ignores the status), with a warning', async () => {
    cpi.control({ mode: 'exit', exit_code: 3 });
    const logger = new RecordingLogger();
    await expect(hasVm(delegateBackend(cpi), 'vm-1', logger)).resolves.toBe(false);
    const warning = logger.entries.find((e) => e.level === 'warn');
    expect(warning?.bindings).toMatchObject({ exit_code: 3 });
  });

  it('an error response of a non-zero exit still passes its error through', async () => {
    cpi.control({ mode: 'exit', exit_code: 1 });
    const error = await failure(delegateBackend(cpi).rebootVm(callContext('reboot_vm', ['vms:vm-x']), native('vm-x')));
    expect(error.type).toBe('Bosh::Clouds::VMNotFound');
  });

  it("stderr is relayed line by line with the backend logger, and the delegate's log goes verbatim to the response log", async () => {
    const delegateLog = 'I, [2026-12-01T10:00:00 #42]  INFO -- : first line\n  second line, indented\n\nafter a blank line';
    cpi.control({ log: delegateLog });
    const logger = new RecordingLogger({ backend: 'vms' });
    const log: string[] = [];
    await hasVm(delegateBackend(cpi), 'vm-1', logger, log);
    const { pid } = cpi.lastCall();
    expect(logger.values('delegate_stderr')).toEqual([`fake-cpi: has_vm (pid ${pid}, api_version 2)`]);
    for (const e of logger.entries.filter((x) => 'delegate_stderr' in x.bindings)) {
      expect(e.bindings['backend']).toBe('vms');
      expect(e.level).toBe('info');
    }
    // Not on stderr as well: the director would show it twice.
    expect(logger.entries.filter((e) => JSON.stringify(e).includes('first line'))).toEqual([]);
    expect(log).toEqual([delegateLog]);
  });
});

describe('error types', () => {
  it('a known type passes through with its message and ok_to_retry', async () => {
    cpi.control({ mode: 'error', error: { type: 'Bosh::Clouds::VMCreationFailed', message: 'no host has room for 64 GiB', ok_to_retry: true } });
    const ctx = callContext('create_vm', ['agent-1', 'vms:sc-1', {}, {}, [], {}]);
    const error = await failure(
      delegateBackend(cpi).createVm(ctx, { agentId: 'agent-1', stemcellCid: native('sc-1'), cloudProperties: {}, networks: {}, diskCids: [], env: {} }),
    );
    expect(classify(error)).toEqual({ type: 'Bosh::Clouds::VMCreationFailed', message: 'no host has room for 64 GiB', ok_to_retry: true });
  });

  it('ok_to_retry false stays false', async () => {
    cpi.control({ mode: 'error', error: { type: 'Bosh::Clouds::VMCreationFailed', message: 'bad vm_type', ok_to_retry: false } });
    const error = await failure(hasVm(delegateBackend(cpi)));
    expect(classify(error)).toEqual({ type: 'Bosh::Clouds::VMCreationFailed', message: 'bad vm_type', ok_to_retry: false });
  });

  // VMCreationFailed has its own tests above (ok_to_retry is kept there).
  it.each(BOSH_ERROR_TYPES.filter((t) => t !== 'Bosh::Clouds::VMCreationFailed'))('%s passes through', async (type) => {
    cpi.control({ mode: 'error', error: { type, message: `a ${type}`, ok_to_retry: false } });
    expect(classify(await failure(hasVm(delegateBackend(cpi))))).toEqual({ type, message: `a ${type}`, ok_to_retry: false });
  });

  it('DiskNotFound keeps ok_to_retry true (a retriable type)', async () => {
    cpi.control({ mode: 'error', error: { type: 'Bosh::Clouds::DiskNotFound', message: 'gone', ok_to_retry: true } });
    expect(classify(await failure(hasVm(delegateBackend(cpi))))).toEqual({ type: 'Bosh::Clouds::DiskNotFound', message: 'gone', ok_to_retry: true });
  });

  it('an unknown type becomes a CloudError that names it', async () => {
    cpi.control({ mode: 'error', error: { type: 'Unknown', message: "undefined method `[]' for nil", ok_to_retry: true } });
    const wire = classify(await failure(hasVm(delegateBackend(cpi))));
    expect(wire).toEqual({ type: 'Bosh::Clouds::CloudError', message: "Unknown: undefined method `[]' for nil", ok_to_retry: false });
  });

  it('a method the delegate lacks answers NotImplemented, bosh-cpi-go style and bosh-cpi-ruby style', async () => {
    cpi.control({ not_implemented: ['snapshot_disk'], ruby_not_implemented: ['set_disk_metadata'] });
    const backend = delegateBackend(cpi);
    const snapshot = await failure(backend.snapshotDisk(callContext('snapshot_disk', ['vms:disk-1', {}]), native('disk-1'), {}));
    expect(classify(snapshot)).toEqual({ type: 'Bosh::Clouds::NotImplemented', message: 'Must call implemented method: snapshot_disk', ok_to_retry: false });
    const metadata = await failure(backend.setDiskMetadata(callContext('set_disk_metadata', ['vms:disk-1', {}]), native('disk-1'), {}));
    expect(classify(metadata)).toEqual({ type: 'Bosh::Clouds::NotImplemented', message: "Method is not known, got 'set_disk_metadata'", ok_to_retry: false });
  });

  it('the director\'s other legacy spelling (CloudError "Invalid Method: ...") is NotImplemented too', async () => {
    cpi.control({ mode: 'error', error: { type: 'Bosh::Clouds::CloudError', message: 'Invalid Method: update_disk', ok_to_retry: false } });
    expect(classify(await failure(hasVm(delegateBackend(cpi)))).type).toBe('Bosh::Clouds::NotImplemented');
  });
});

describe('no valid response', () => {
  const cases: [string, Parameters<FakeCpi['control']>[0], RegExp][] = [
    [
      'garbage on stdout',
      { mode: 'garbage' },
      /has_vm in backend 'vms' \(delegate CPI .*fake-cpi\.mjs\): no valid response: its stdout \(\d+ characters\) is not one JSON document$/,
    ],
    ['nothing on stdout', { mode: 'nothing' }, /no valid response: it wrote nothing to stdout$/],
    [
      'a crash: no response and a non-zero exit',
      { mode: 'crash', exit_code: 3 },
      /no valid response: it wrote nothing to stdout \(the CPI process exited with status 3\)$/,
    ],
    ['JSON that is not an object', { mode: 'raw', stdout: '[true]' }, /its stdout is JSON an array, not an object$/],
    ['a response without log', { mode: 'raw', stdout: '{"result":true,"error":null}' }, /its response lacks 'log'$/],
    ['a response whose log is null', { mode: 'raw', stdout: '{"result":true,"error":null,"log":null}' }, /its response's log is null, not a string$/],
    ['a response without result and error', { mode: 'raw', stdout: '{"log":""}' }, /its response lacks 'result', 'error'$/],
    [
      'an error that is a string',
      { mode: 'raw', stdout: '{"result":null,"error":"boom","log":""}' },
      /its response's error is a string, neither null nor an object$/,
    ],
    [
      'an error without ok_to_retry',
      { mode: 'raw', stdout: '{"result":null,"error":{"type":"Bosh::Clouds::CloudError","message":"boom"},"log":""}' },
      /its response's error is malformed \(ok_to_retry is missing\)$/,
    ],
    [
      'a result of the wrong shape',
      { mode: 'raw', stdout: '{"result":"yes","error":null,"log":""}' },
      /The delegate CPI answered has_vm with "yes", expected true or false$/,
    ],
  ];
  it.each(cases)('%s is a CloudError that says what was wrong', async (_name, control, message) => {
    cpi.control(control);
    const error = await failure(hasVm(delegateBackend(cpi)));
    expect(error.type).toBe('Bosh::Clouds::CloudError');
    expect(error.message).toMatch(message);
  });

  it('garbage on stdout stays out of the error message, and goes to the log for the operator', async () => {
    cpi.control({ mode: 'garbage' });
    const logger = new RecordingLogger();
    const error = await failure(hasVm(delegateBackend(cpi), 'vm-1', logger));
    expect(error.message).not.toContain('Starting the CPI');
    expect(logger.values('delegate_stdout')).toEqual(['Starting the CPI... done\n{"result": oops']);
  });

  it('a command that does not exist is a CloudError naming it', async () => {
    const backend = createDelegateBackend(
      { type: 'delegate', command: ['/nonexistent/bin/cpi'], stemcell_formats: ['vsphere-ovf'] },
      { name: 'vms' as BackendName },
    );
    const error = await failure(hasVm(backend));
    expect(error.type).toBe('Bosh::Clouds::CloudError');
    expect(error.message).toMatch(/^has_vm in backend 'vms' \(delegate CPI \/nonexistent\/bin\/cpi\): could not run it: .*ENOENT/);
  });

  it('a command that is not executable is a CloudError', async () => {
    const file = path.join(cpi.dir, 'not-executable');
    fs.writeFileSync(file, '#!/bin/sh\n');
    const backend = createDelegateBackend({ type: 'delegate', command: [file], stemcell_formats: ['vsphere-ovf'] }, { name: 'vms' as BackendName });
    expect((await failure(hasVm(backend))).message).toMatch(/could not run it: .*EACCES/);
  });

  it('a CPI that exits without reading stdin is a clear error, not a crash of the proxy', async () => {
    const backend = createDelegateBackend({ type: 'delegate', command: ['/bin/true'], stemcell_formats: ['vsphere-ovf'] }, { name: 'vms' as BackendName });
    // A large request, so that writing it to the closed pipe fails.
    const big = { padding: 'x'.repeat(4 * 1024 * 1024) };
    const error = await failure(backend.setVmMetadata(callContext('set_vm_metadata', ['vms:vm-1', big]), native('vm-1'), big));
    expect(error.message).toMatch(/no valid response: it wrote nothing to stdout$/);
  });
});

describe('a CPI that does not answer', () => {
  it('is stopped after timeout_seconds: a CloudError, and its process is gone', async () => {
    cpi.control({ mode: 'hang' });
    const started = performance.now();
    const error = await failure(hasVm(delegateBackend(cpi, { timeout_seconds: 0.5 })));
    expect(performance.now() - started).toBeLessThan(4000);
    expect(error.type).toBe('Bosh::Clouds::CloudError');
    expect(error.message).toMatch(
      /has_vm in backend 'vms' .*: no answer within timeout_seconds \(0\.5 s\); the CPI process was stopped \(the CPI process ended by SIGTERM\)$/,
    );
    expect(processExists(cpi.lastCall().pid)).toBe(false);
  });

  it('a timeout_seconds beyond what a Node timer holds does not fire at once', async () => {
    await expect(hasVm(delegateBackend(cpi, { timeout_seconds: 30 * 24 * 3600 }))).resolves.toBe(false);
  });

  it('is killed when it ignores SIGTERM (SIGKILL after 5 s)', async () => {
    cpi.control({ mode: 'hang-ignoring-term' });
    const error = await failure(hasVm(delegateBackend(cpi, { timeout_seconds: 0.5 })));
    expect(error.message).toMatch(/the CPI process was stopped \(the CPI process ended by SIGKILL\)$/);
    expect(processExists(cpi.lastCall().pid)).toBe(false);
  }, 15_000);

  it("is stopped when the proxy is asked to stop (SIGTERM aborts the call's signal)", async () => {
    cpi.control({ mode: 'hang' });
    const controller = new AbortController();
    const call = delegateBackend(cpi).hasVm(callContext('has_vm', ['vms:vm-1'], { signal: controller.signal }), native('vm-1'));
    await waitFor(() => cpi.calls().length === 1);
    controller.abort(new Error('received SIGTERM'));
    const error = await failure(call);
    expect(error.message).toMatch(/stopped because the proxy was asked to stop/);
    expect(processExists(cpi.lastCall().pid)).toBe(false);
  });

  it('only the CPI process is stopped, not its process group: what it started on purpose keeps running', async () => {
    // A CPI that starts a helper in its own process group... and one that shares its group.
    const script = path.join(cpi.dir, 'cpi.sh');
    const pids = path.join(cpi.dir, 'pids');
    fs.writeFileSync(script, `#!/bin/sh\nsleep 30 </dev/null >/dev/null 2>&1 &\necho $! > ${pids}\nexec sleep 60\n`, { mode: 0o755 });
    const backend = createDelegateBackend(
      { type: 'delegate', command: [script], stemcell_formats: ['vsphere-ovf'], timeout_seconds: 0.5 },
      { name: 'vms' as BackendName },
    );
    await failure(hasVm(backend));
    const helper = Number(fs.readFileSync(pids, 'utf8'));
    try {
      expect(processExists(helper)).toBe(true);
    } finally {
      process.kill(helper, 'SIGKILL');
    }
  });
});

describe('a CPI whose helper keeps its stdout and stderr open', () => {
  it('the timeout still ends the call: the pipes are let go once the CPI is stopped', async () => {
    const script = path.join(cpi.dir, 'cpi.sh');
    const pids = path.join(cpi.dir, 'pids');
    // The helper inherits the CPI's stdout and stderr, and outlives it.
    fs.writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > ${pids}\nexec sleep 60\n`, { mode: 0o755 });
    const backend = createDelegateBackend(
      { type: 'delegate', command: [script], stemcell_formats: ['vsphere-ovf'], timeout_seconds: 0.5 },
      { name: 'vms' as BackendName },
    );
    const started = performance.now();
    const error = await failure(hasVm(backend));
    const helper = Number(fs.readFileSync(pids, 'utf8'));
    process.kill(helper, 'SIGKILL');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error.message).toMatch(/no answer within timeout_seconds \(0\.5 s\)/);
  });

  it('a CPI that answered and exited while its helper holds the pipes: its answer counts, once the pipes are quiet', async () => {
    const script = path.join(cpi.dir, 'cpi.sh');
    const pids = path.join(cpi.dir, 'pids');
    fs.writeFileSync(script, `#!/bin/sh\ncat >/dev/null\nsleep 30 &\necho $! > ${pids}\nprintf '{"result":true,"error":null,"log":""}'\n`, { mode: 0o755 });
    // No timeout: the director would wait for the pipes forever.
    const backend = createDelegateBackend({ type: 'delegate', command: [script], stemcell_formats: ['vsphere-ovf'] }, { name: 'vms' as BackendName });
    const logger = new RecordingLogger();
    const started = performance.now();
    try {
      await expect(hasVm(backend, 'vm-1', logger)).resolves.toBe(true);
    } finally {
      process.kill(Number(fs.readFileSync(pids, 'utf8')), 'SIGKILL');
    }
    expect(performance.now() - started).toBeLessThan(5000);
    expect(logger.entries.find((e) => e.level === 'warn')?.message).toMatch(/still held its stdout or stderr/);
  });
});

describe('a flood of stderr', () => {
  it('50 MB of stderr is relayed line by line with bounded memory, and the response is still read', async () => {
    const bytes = 50 * 1024 * 1024;
    cpi.control({ mode: 'flood', stderr_bytes: bytes, line_bytes: 100 });
    const logger = new RecordingLogger({}, false);
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
    }, 5);
    try {
      await expect(hasVm(delegateBackend(cpi), 'vm-1', logger)).resolves.toBe(false);
    } finally {
      clearInterval(sampler);
    }
    // Every flood line (99 characters each) plus the fixture's own line.
    expect(logger.counts.chars).toBeGreaterThanOrEqual(bytes - bytes / 100);
    expect(logger.counts.lines).toBeGreaterThan(bytes / 100);
    // Buffered whole, the stderr alone would take 50 MB (100 MB as a JS string).
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);

  it('a line without end is passed on in pieces, not held whole', async () => {
    cpi.control({ mode: 'flood', stderr_bytes: 1024 * 1024, line_bytes: 1024 * 1024 + 1 });
    const logger = new RecordingLogger();
    await hasVm(delegateBackend(cpi), 'vm-1', logger);
    const pieces = logger.values('delegate_stderr').filter((l) => (l as string).startsWith('xxx')) as string[];
    expect(pieces.length).toBe(16);
    expect(Math.max(...pieces.map((p) => p.length))).toBe(64 * 1024);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
