import fs from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import { CpiError } from '@hybrid-cpi/core';

/** The TLS keys of the `ironic` config section (and of a clouds.yaml cloud). */
export interface TlsOptions {
  /** PEM bundle of the CAs to trust instead of Node's built-in list. */
  readonly ca_file?: string;
  /** Client certificate (PEM); may hold the key too when `key_file` is absent. */
  readonly cert_file?: string;
  readonly key_file?: string;
  /** Skip server certificate checks (labs only). */
  readonly insecure?: boolean;
}

/** The `connect` options of an undici Agent for these settings; reads the files now. */
export function tlsConnectOptions(tls: TlsOptions): { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } {
  const options: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } = {};
  if (tls.ca_file !== undefined) options.ca = read(tls.ca_file, 'ca_file');
  if (tls.cert_file !== undefined) {
    options.cert = read(tls.cert_file, 'cert_file');
    options.key = read(tls.key_file ?? tls.cert_file, tls.key_file === undefined ? 'cert_file' : 'key_file');
  } else if (tls.key_file !== undefined) {
    throw new CpiError('CPX_CONFIG', 'Configuring TLS for Ironic: key_file is set but cert_file is not');
  }
  if (tls.insecure === true) options.rejectUnauthorized = false;
  return options;
}

/** The production dispatcher: one keep-alive Agent for Ironic and Keystone. */
export function makeDispatcher(tls: TlsOptions = {}): Dispatcher {
  return new Agent({ connect: tlsConnectOptions(tls) });
}

function read(file: string, key: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CpiError('CPX_CONFIG', `Configuring TLS for Ironic: cannot read ${key} ${file}: ${(error as Error).message}`, { cause: error });
  }
}
