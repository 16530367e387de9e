import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { makeDispatcher, tlsConnectOptions as connectOptions } from '../../src/tls.js';

const tlsConnectOptions = (tls: Parameters<typeof connectOptions>[0]) => connectOptions(tls, 'Configuring TLS for Ironic');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ironic-tls-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const ca = file('ca.pem', 'CA PEM');
const cert = file('cert.pem', 'CERT PEM');
const key = file('key.pem', 'KEY PEM');

describe('tlsConnectOptions', () => {
  it('reads the CA, the client certificate and key, and maps insecure', () => {
    expect(tlsConnectOptions({})).toEqual({});
    expect(tlsConnectOptions({ ca_file: ca, cert_file: cert, key_file: key, insecure: true })).toEqual({
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
      rejectUnauthorized: false,
    });
    expect(tlsConnectOptions({ insecure: false })).toEqual({});
  });

  it('takes the key from the certificate file when no key_file is set (one PEM with both)', () => {
    expect(tlsConnectOptions({ cert_file: cert })).toEqual({ cert: 'CERT PEM', key: 'CERT PEM' });
  });

  it('refuses a key without a certificate, and names an unreadable file', () => {
    expect(() => tlsConnectOptions({ key_file: key })).toThrowError('Configuring TLS for Ironic: key_file is set but cert_file is not');
    expect(() => tlsConnectOptions({ ca_file: path.join(dir, 'nope.pem') })).toThrowError(/Configuring TLS for Ironic: cannot read ca_file .*nope.pem: ENOENT/);
  });
});

describe('makeDispatcher', () => {
  it('makes an undici Agent', async () => {
    const dispatcher = makeDispatcher({ ca_file: ca }, 'Configuring TLS for Ironic');
    expect(dispatcher).toBeInstanceOf(Agent);
    await dispatcher.close();
  });
});
