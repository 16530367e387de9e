import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CpiError } from '@hybrid-cpi/core';
import type { CloudsYamlAuth, IronicAuth, KeystoneAuth } from './auth.js';
import type { TlsOptions } from '../tls.js';

/** What a named cloud of a clouds.yaml file says, in the client's terms. */
export interface ResolvedCloud {
  /** `baremetal_endpoint_override`, else `auth.endpoint` (standalone Ironic), else undefined (the catalog). */
  readonly url: string | undefined;
  readonly auth: IronicAuth;
  readonly tls: TlsOptions;
  /** The file it came from. */
  readonly file: string;
}

/** openstacksdk's search order when no file is named. */
export function cloudsYamlSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env['HOME'] ?? os.homedir();
  return [
    ...(env['OS_CLIENT_CONFIG_FILE'] ? [env['OS_CLIENT_CONFIG_FILE']] : []),
    path.resolve('clouds.yaml'),
    path.join(home, '.config', 'openstack', 'clouds.yaml'),
    '/etc/openstack/clouds.yaml',
  ];
}

/**
 * Reads `clouds.<name>` (the openstacksdk convention) and maps `auth_type` to a client mode:
 * `password`/`v3password` and `v3applicationcredential` → keystone, `http_basic` → http_basic,
 * `none`/`noauth` → noauth. `secure.yaml` and the `OS_*` variables are not read.
 */
export async function readCloud(config: CloudsYamlAuth, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedCloud> {
  const candidates = config.file !== undefined ? [config.file] : cloudsYamlSearchPath(env);
  let file: string | undefined;
  let text: string | undefined;
  for (const candidate of candidates) {
    try {
      text = await fs.readFile(candidate, 'utf8');
      file = candidate;
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || config.file !== undefined) {
        throw problem(candidate, `cannot read it: ${(error as Error).message}`, error);
      }
    }
  }
  if (file === undefined || text === undefined) throw problem(candidates.join(', '), 'no such file');
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw problem(file, `not YAML: ${(error as Error).message}`, error);
  }
  const clouds = object(object(doc)?.['clouds']);
  const cloud = object(clouds?.[config.cloud]);
  if (cloud === undefined) {
    throw problem(file, `there is no cloud '${config.cloud}' under clouds (it has ${Object.keys(clouds ?? {}).join(', ') || 'none'})`);
  }
  const auth = object(cloud['auth']) ?? {};
  const str = (from: Record<string, unknown>, key: string): string | undefined => {
    const value = from[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value === '') throw problem(file, `clouds.${config.cloud}.${key} must be a non-empty string`);
    return value;
  };
  const authType = str(cloud, 'auth_type') ?? (auth['application_credential_id'] !== undefined ? 'v3applicationcredential' : 'password');
  const tls: TlsOptions = {
    ...optional('ca_file', str(cloud, 'cacert')),
    ...optional('cert_file', str(cloud, 'cert')),
    ...optional('key_file', str(cloud, 'key')),
    ...(cloud['verify'] === false ? { insecure: true } : {}),
  };
  const url = str(cloud, 'baremetal_endpoint_override') ?? str(auth, 'endpoint');
  const need = (key: string): string => str(auth, key) ?? fail(problem(file, `clouds.${config.cloud}.auth.${key} is required with auth_type ${authType}`));

  let resolved: IronicAuth;
  switch (authType) {
    case 'none':
    case 'noauth':
      resolved = { type: 'noauth' };
      break;
    case 'http_basic':
      resolved = { type: 'http_basic', username: need('username'), password: need('password') };
      break;
    case 'password':
    case 'v3password':
    case 'v3applicationcredential':
    case 'application_credential': {
      const keystone: Record<string, string> = { type: 'keystone', auth_url: need('auth_url') };
      const keys = authType.includes('application')
        ? ['application_credential_id', 'application_credential_secret']
        : ['username', 'password', 'user_domain_name', 'user_domain_id', 'project_name', 'project_id', 'project_domain_name', 'project_domain_id'];
      if (authType.includes('application')) need('application_credential_id');
      else need('username');
      for (const key of keys) {
        const value = str(auth, key);
        if (value !== undefined) keystone[key] = value;
      }
      const region = str(cloud, 'region_name');
      if (region !== undefined) keystone['region_name'] = region;
      const iface = str(cloud, 'baremetal_interface') ?? str(cloud, 'interface');
      if (iface !== undefined) {
        if (!['public', 'internal', 'admin'].includes(iface)) throw problem(file, `clouds.${config.cloud}.interface must be public, internal or admin`);
        keystone['interface'] = iface;
      }
      resolved = keystone as unknown as KeystoneAuth;
      break;
    }
    default:
      throw problem(file, `clouds.${config.cloud}.auth_type ${authType} is not supported (use password, v3applicationcredential, http_basic or none)`);
  }
  if (url === undefined && resolved.type !== 'keystone') {
    throw problem(file, `clouds.${config.cloud} needs baremetal_endpoint_override or auth.endpoint with auth_type ${authType}`);
  }
  return { url, auth: resolved, tls, file };
}

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function problem(file: string, what: string, cause?: unknown): CpiError {
  return new CpiError('CPX_CONFIG', `Reading clouds.yaml (${file}): ${what}`, cause === undefined ? {} : { cause });
}

function fail(error: CpiError): never {
  throw error;
}
