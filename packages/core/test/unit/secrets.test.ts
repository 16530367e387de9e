import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BufferedLogger, loadLogger, REDACTED, Secrets } from '@hybrid-cpi/core';

describe('Secrets', () => {
  it('scrubs keyed values at any depth, raw and JSON-escaped', () => {
    const secrets = new Secrets();
    const pem = '-----BEGIN KEY-----\nabc"def\n-----END KEY-----';
    secrets.addKeyed({ a: { ipmi_password: 'hunter22' }, mbus: { cert: { private_key: pem } }, name: 'not-a-secret', auth: { type: 'http_basic' } });
    expect(secrets.scrub('auth http_basic')).toBe('auth http_basic');
    expect(secrets.scrub('pw=hunter22 and name=not-a-secret')).toBe(`pw=${REDACTED} and name=not-a-secret`);
    expect(secrets.scrub(JSON.stringify({ key: pem }))).toBe(`{"key":"${REDACTED}"}`);
  });

  it('scrubs every long value of env except the director-public group and tags', () => {
    const secrets = new Secrets();
    secrets.addEnv({ bosh: { group: 'director-dep-group', tags: { team: 'team-name-here' }, blobstores: [{ options: { endpoint: 'https://blob.example:25250' } }] } });
    expect(secrets.scrub('group director-dep-group team team-name-here at https://blob.example:25250')).toBe(
      `group director-dep-group team team-name-here at ${REDACTED}`,
    );
  });

  it('leaves short values alone so that log lines stay readable', () => {
    const secrets = new Secrets();
    secrets.addKeyed({ password: 'ab' });
    secrets.addAll({ level: 'info' });
    expect(secrets.scrub('"level":"info" ab')).toBe('"level":"info" ab');
    expect(secrets.size).toBe(0);
  });
});

describe('createLogger', () => {
  it('writes JSON lines synchronously, with secret keys redacted and secret strings scrubbed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'stderr');
    const fd = fs.openSync(file, 'w');
    const secrets = new Secrets();
    secrets.add('s3cr3t-value');
    (await loadLogger('debug', secrets, fd)).child({ request_id: 'cpi-1' }).debug({ password: 'other-pw', note: 'has s3cr3t-value inside' }, 'hello');
    fs.closeSync(fd);
    const line = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(line).toMatchObject({ level: 'debug', request_id: 'cpi-1', password: REDACTED, note: `has ${REDACTED} inside`, msg: 'hello' });
  });
});

describe('BufferedLogger', () => {
  it('holds enabled lines with their bindings, then forwards them and every later line once attached', async () => {
    const buffered = new BufferedLogger('info');
    const child = buffered.child({ request_id: 'cpi-2' });
    buffered.debug('dropped: below the level');
    child.info({ backend: 'metal' }, 'first');
    buffered.error('second');
    expect([buffered.size, buffered.attached]).toEqual([2, false]);
    const seen: unknown[] = [];
    const target = { ...buffered, info: (...a: unknown[]) => seen.push(['info', ...a]), error: (...a: unknown[]) => seen.push(['error', ...a]) };
    buffered.attach(target as never);
    child.info('third');
    expect(seen).toEqual([['info', { request_id: 'cpi-2', backend: 'metal' }, 'first'], ['error', {}, 'second'], ['info', { request_id: 'cpi-2' }, 'third']]);
    expect([buffered.size, buffered.attached]).toEqual([0, true]);
  });
});
