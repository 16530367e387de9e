import type { Dispatcher } from 'undici';
import type { BackendSeams, Logger } from '@hybrid-cpi/core';
import type { AuthConfig } from './auth.js';
import type { Clock, Sleep } from './backoff.js';
import { IronicClient, type RetryPolicy } from './client.js';
import { readCloud } from './clouds-yaml.js';
import type { Microversion } from './microversions.js';
import { makeDispatcher, type TlsOptions } from '../tls.js';

/** The `ironic` section of a backend's config (docs/config-reference.md). */
export interface IronicConnectionConfig extends TlsOptions {
  /** Overrides the URL of a clouds.yaml cloud and the Keystone catalog. */
  readonly url?: string;
  /** Default `noauth`. */
  readonly auth?: AuthConfig;
}

export interface ConnectDeps {
  readonly logger: Logger;
  /** For tests; production gets an Agent with the TLS settings. */
  readonly dispatcher?: Dispatcher;
  readonly microversion?: Microversion;
  readonly retry?: Partial<RetryPolicy>;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** Where clouds.yaml is searched for (`HOME`, `OS_CLIENT_CONFIG_FILE`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Config → client: resolves a clouds.yaml cloud to its auth mode, URL and TLS files (the config's
 * own TLS keys win), and builds the dispatcher. Close the client when done (it owns the Agent).
 */
export async function connectIronic(config: IronicConnectionConfig, deps: ConnectDeps): Promise<IronicClient> {
  let auth = config.auth ?? { type: 'noauth' as const };
  let url = config.url;
  let tls: TlsOptions = pickTls(config);
  if (auth.type === 'clouds_yaml') {
    const cloud = await readCloud(auth, deps.env);
    auth = cloud.auth;
    url ??= cloud.url;
    tls = { ...cloud.tls, ...tls };
  }
  return new IronicClient({
    ...(url === undefined ? {} : { url }),
    auth,
    ...(deps.dispatcher === undefined
      ? { dispatcher: makeDispatcher(tls, 'Configuring TLS for Ironic'), ownsDispatcher: true }
      : { dispatcher: deps.dispatcher }),
    logger: deps.logger,
    ...(deps.microversion === undefined ? {} : { microversion: deps.microversion }),
    ...(deps.retry === undefined ? {} : { retry: deps.retry }),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
  });
}

/** The HTTP dispatcher the composition root set (a test's MockAgent), as ConnectDeps takes it; none: connectIronic makes one. */
export function seamDispatcher(seams: BackendSeams | undefined): { readonly dispatcher?: Dispatcher } {
  const dispatcher = seams?.httpDispatcher as Dispatcher | undefined;
  return dispatcher === undefined ? {} : { dispatcher };
}

function pickTls(config: TlsOptions): TlsOptions {
  const tls: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {};
  if (config.ca_file !== undefined) tls.ca_file = config.ca_file;
  if (config.cert_file !== undefined) tls.cert_file = config.cert_file;
  if (config.key_file !== undefined) tls.key_file = config.key_file;
  if (config.insecure !== undefined) tls.insecure = config.insecure;
  return tls;
}
