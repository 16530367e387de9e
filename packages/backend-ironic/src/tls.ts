import fs from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import { CpiError } from '@hybrid-cpi/core';

/** The TLS keys of a service the backend reaches: the `ironic` section (and a clouds.yaml cloud), the `image_store` section. */
export interface TlsOptions {
  /** PEM bundle of the CAs to trust instead of Node's built-in list. */
  readonly ca_file?: string;
  /** Client certificate (PEM); may hold the key too when `key_file` is absent. */
  readonly cert_file?: string;
  readonly key_file?: string;
  /** Skip server certificate checks (labs only). */
  readonly insecure?: boolean;
}

/**
 * The `connect` options of an undici Agent for these settings; reads the files now. `doing` heads
 * the error of a setting that cannot be used ("Configuring TLS for Ironic").
 */
export function tlsConnectOptions(tls: TlsOptions, doing: string): { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } {
  const options: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } = {};
  const read = (file: string, key: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new CpiError('CPX_CONFIG', `${doing}: cannot read ${key} ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  if (tls.ca_file !== undefined) options.ca = read(tls.ca_file, 'ca_file');
  if (tls.cert_file !== undefined) {
    options.cert = read(tls.cert_file, 'cert_file');
    options.key = read(tls.key_file ?? tls.cert_file, tls.key_file === undefined ? 'cert_file' : 'key_file');
  } else if (tls.key_file !== undefined) {
    throw new CpiError('CPX_CONFIG', `${doing}: key_file is set but cert_file is not`);
  }
  if (tls.insecure === true) options.rejectUnauthorized = false;
  return options;
}

/** The production dispatcher of one service: a keep-alive Agent with its TLS settings. */
export function makeDispatcher(tls: TlsOptions, doing: string): Dispatcher {
  return new Agent({ connect: tlsConnectOptions(tls, doing) });
}
