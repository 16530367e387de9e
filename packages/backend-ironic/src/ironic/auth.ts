import { CpiError } from '@hybrid-cpi/core';

/** Standalone Ironic with `auth_strategy = noauth`: every request is admin. */
export interface NoAuth {
  readonly type: 'noauth';
}

/** Standalone Ironic with `auth_strategy = http_basic` (an htpasswd file on the server). */
export interface HttpBasicAuth {
  readonly type: 'http_basic';
  readonly username: string;
  readonly password: string;
}

/** Ironic behind Keystone: a password or an application credential buys a token. */
export interface KeystoneAuth {
  readonly type: 'keystone';
  /** With or without the trailing `/v3`. */
  readonly auth_url: string;
  readonly username?: string;
  readonly password?: string;
  /** Default: the domain with id `default`, as in a stock Keystone. */
  readonly user_domain_name?: string;
  readonly user_domain_id?: string;
  readonly project_name?: string;
  readonly project_id?: string;
  readonly project_domain_name?: string;
  readonly project_domain_id?: string;
  /** An application credential is scoped already: no user, no project. */
  readonly application_credential_id?: string;
  readonly application_credential_secret?: string;
  /** Picks the catalog endpoint when several regions offer `baremetal`. */
  readonly region_name?: string;
  /** Default `public`. */
  readonly interface?: 'public' | 'internal' | 'admin';
}

/** The modes the client speaks. */
export type IronicAuth = NoAuth | HttpBasicAuth | KeystoneAuth;

/** A named cloud of a clouds.yaml file, resolved to one of the modes above by `readCloud`. */
export interface CloudsYamlAuth {
  readonly type: 'clouds_yaml';
  readonly cloud: string;
  /** Default: the openstacksdk search path. */
  readonly file?: string;
}

/** What the config file may say under `ironic.auth`. */
export type AuthConfig = IronicAuth | CloudsYamlAuth;

export function basicAuthorization({ username, password }: HttpBasicAuth): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** `<auth_url>/v3/auth/tokens`, whether or not auth_url already ends in `/v3`. */
export function tokensUrl(authUrl: string): URL {
  const base = authUrl.replace(/\/+$/, '');
  return new URL(`${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`);
}

/** The body of `POST /v3/auth/tokens` (Keystone v3 identity API). */
export function keystoneTokenBody(auth: KeystoneAuth): unknown {
  if (auth.application_credential_id !== undefined || auth.application_credential_secret !== undefined) {
    if (auth.application_credential_id === undefined || auth.application_credential_secret === undefined) {
      throw configError('application_credential_id and application_credential_secret go together');
    }
    return {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: auth.application_credential_id, secret: auth.application_credential_secret },
        },
      },
    };
  }
  if (auth.username === undefined || auth.password === undefined) {
    throw configError('set username and password, or application_credential_id and application_credential_secret');
  }
  const user = { name: auth.username, domain: domain(auth.user_domain_id, auth.user_domain_name), password: auth.password };
  const body: { auth: { identity: unknown; scope?: unknown } } = { auth: { identity: { methods: ['password'], password: { user } } } };
  if (auth.project_id !== undefined) body.auth.scope = { project: { id: auth.project_id } };
  else if (auth.project_name !== undefined) {
    body.auth.scope = { project: { name: auth.project_name, domain: domain(auth.project_domain_id, auth.project_domain_name) } };
  }
  return body;
}

/**
 * Who asks Keystone for a token, for messages: `user 'bosh' in project 'baremetal'`, or
 * `application credential 6a0…`. Never a secret.
 */
export function describeIdentity(auth: KeystoneAuth): string {
  if (auth.application_credential_id !== undefined) return `application credential ${auth.application_credential_id}`;
  const inDomain = (id: string | undefined, name: string | undefined) => (id === undefined && name === undefined ? '' : ` of domain '${name ?? id}'`);
  const user = `user '${auth.username ?? ''}'${inDomain(auth.user_domain_id, auth.user_domain_name)}`;
  const project = auth.project_name ?? auth.project_id;
  return project === undefined ? user : `${user} in project '${project}'${inDomain(auth.project_domain_id, auth.project_domain_name)}`;
}

function domain(id: string | undefined, name: string | undefined): { id: string } | { name: string } {
  if (id !== undefined) return { id };
  return name !== undefined ? { name } : { id: 'default' };
}

interface CatalogEndpoint {
  interface?: unknown;
  region?: unknown;
  region_id?: unknown;
  url?: unknown;
}

/** The `baremetal` endpoint of a token's catalog, for the configured interface and region. */
export function baremetalEndpoint(catalog: unknown, auth: Pick<KeystoneAuth, 'interface' | 'region_name'>): string {
  const wantedInterface = auth.interface ?? 'public';
  const services = Array.isArray(catalog) ? (catalog as { type?: unknown; endpoints?: unknown }[]) : [];
  const service = services.find((s) => s.type === 'baremetal');
  if (service === undefined) {
    const types = services.map((s) => String(s.type)).join(', ') || 'nothing';
    throw new CpiError(
      'CPX_CONFIG',
      `Finding Ironic in the Keystone catalog: there is no service of type baremetal (the catalog has ${types}); set ironic.url`,
    );
  }
  const endpoints = (Array.isArray(service.endpoints) ? service.endpoints : []) as CatalogEndpoint[];
  const match = endpoints.find(
    (e) =>
      e.interface === wantedInterface &&
      typeof e.url === 'string' &&
      (auth.region_name === undefined || e.region_id === auth.region_name || e.region === auth.region_name),
  );
  if (match === undefined) {
    const offered = endpoints.map((e) => `${String(e.interface)}@${String(e.region_id ?? e.region)}`).join(', ') || 'none';
    throw new CpiError(
      'CPX_CONFIG',
      `Finding Ironic in the Keystone catalog: no ${wantedInterface} baremetal ` +
        `endpoint${auth.region_name === undefined ? '' : ` in region ${auth.region_name}`} (offered: ${offered})`,
    );
  }
  return match.url as string;
}

function configError(problem: string): CpiError {
  return new CpiError('CPX_CONFIG', `Authenticating to Keystone: ${problem} in ironic.auth`);
}
