import { finding, isCpiError, messageOf, silentLogger, type DoctorContext, type Finding } from '@hybrid-cpi/core';
import type { IronicConfig } from '../config.js';
import { discoverVersions, type IronicClient } from '../ironic/client.js';
import { connectIronic, seamDispatcher } from '../ironic/connect.js';
import { isIronicHttpError, type IronicHttpError } from '../ironic/errors.js';
import { MINIMUM as MINIMUM_MICROVERSION, compareVersions, type VersionRange } from '../ironic/microversions.js';
import { safeUrl } from '../image-store/urls.js';
import { nodeStatus } from './node-status.js';
import { openPool } from './pool.js';

/**
 * Ironic of one backend: Keystone's token (and Ironic's endpoint in its catalog) when it
 * authenticates there, reachable, an API version range the CPI can use, and credentials that
 * Ironic accepts. Each check runs only when the one before passed: an unreachable server has no
 * version to read. Returns the range Ironic offers, when it answered.
 */
export async function checkIronic(config: IronicConfig, ctx: DoctorContext): Promise<VersionRange | undefined> {
  const { name, report, signal } = ctx;
  const key = `backends.${name}.ironic`;
  let client: IronicClient;
  try {
    // One attempt: a doctor says at once what is wrong rather than retrying for 15 s.
    client = await connectIronic(config.ironic, { logger: silentLogger, retry: { attempts: 1 }, ...seamDispatcher(ctx.seams) });
  } catch (error) {
    report(finding.problem(`cannot set up the Ironic client: ${messageOf(error)}`, `correct ${key} (TLS files, auth, clouds.yaml)`));
    return undefined;
  }
  try {
    if (!(await checkKeystone(client, key, ctx))) return undefined;
    const url = safeUrl(await client.endpoint(signal));
    let range: VersionRange;
    try {
      range = await discoverVersions(client, { signal });
    } catch (error) {
      report(unreachable(url, key, error));
      return undefined;
    }
    report(finding.ok(`Ironic at ${url} answers`));
    const needs = `the CPI needs ${MINIMUM_MICROVERSION} (the allocation API) or later`;
    if (compareVersions(range.max, MINIMUM_MICROVERSION) < 0) {
      report(finding.problem(`Ironic offers API versions ${range.min} to ${range.max}; ${needs}`, 'upgrade Ironic to 12.1 (OpenStack Stein) or later'));
      return range;
    }
    if (compareVersions(range.min, MINIMUM_MICROVERSION) > 0) {
      report(
        finding.problem(
          `Ironic offers API versions ${range.min} to ${range.max} and no longer accepts ${MINIMUM_MICROVERSION}, which the CPI sends`,
          'use a newer hybrid-cpi release',
        ),
      );
      return range;
    }
    report(finding.ok(`API versions ${range.min} to ${range.max}: ${needs}`));
    try {
      await client.request('GET', '/v1/nodes', { query: { limit: 1, fields: 'uuid' }, doing: 'Listing nodes', signal });
      report(finding.ok(`credentials accepted (${describeAuth(config)})`));
    } catch (error) {
      report(refused(config, key, error));
      return range;
    }
    await reportParked(config, ctx);
    return range;
  } finally {
    await client.close();
  }
}

/** A token for the configured identity, and where the catalog puts Ironic; true when there is no Keystone. */
async function checkKeystone(client: IronicClient, key: string, { report, signal }: DoctorContext): Promise<boolean> {
  const who = client.keystoneIdentity();
  if (who === undefined) return true;
  try {
    const session = (await client.keystone(signal))!;
    report(
      finding.ok(
        `Keystone at ${who.tokensUrl} issued a token for ${who.identity}${session.expiresAt === undefined ? '' : ` (valid until ${session.expiresAt})`}`,
      ),
    );
    if (session.endpoint !== undefined) {
      report(
        finding.ok(
          `the catalog's ${session.interface} baremetal endpoint${session.region === undefined ? '' : ` in ${session.region}`} is ${safeUrl(session.endpoint)}`,
        ),
      );
    }
    return true;
  } catch (error) {
    if (isIronicHttpError(error) && error.service === 'Keystone') {
      report(
        finding.problem(
          `Keystone at ${who.tokensUrl} refused ${who.identity} (${error.status}${error.faultstring ? `: ${error.faultstring.replace(/\.$/, '')}` : ''})`,
          `correct ${key}.auth (username and password or application credential, domains, project) or its clouds.yaml cloud`,
        ),
      );
    } else {
      report(
        finding.problem(
          `Keystone at ${who.tokensUrl}, for ${who.identity}: ${messageOf(error)}`,
          `check ${key}.auth.auth_url (or the clouds.yaml cloud's) and that Keystone answers there`,
        ),
      );
    }
    return false;
  }
}

function describeAuth(config: IronicConfig): string {
  const auth = config.ironic.auth ?? { type: 'noauth' };
  if (auth.type === 'noauth') return 'auth noauth: Ironic takes requests without credentials';
  if (auth.type === 'http_basic') return `http_basic, user '${auth.username}'`;
  return `auth ${auth.type}`;
}

/** GET / failed: nothing listens, a name that does not resolve, TLS, or not an Ironic at all. */
/** The error codes of a connection that failed, as Node and undici name them. */
const CONNECTION_CODE = new RegExp(
  `\\b(${[
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ETIMEDOUT',
    'UND_ERR_CONNECT_TIMEOUT',
    'ECONNRESET',
    'CERT_\\w+',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_\\w+',
  ].join('|')})\\b`,
);

function unreachable(url: string, key: string, error: unknown): Finding {
  if (isIronicHttpError(error)) {
    const endpoint = `set ${key}.url to Ironic's endpoint (port 6385 by default, without /v1)`;
    // Something answered: the name, the port and TLS are fine, but it is not Ironic.
    if (error.foreign !== undefined)
      return finding.problem(`${url} answered ${error.status} to GET / with ${error.foreign}: it is not the Ironic API`, endpoint);
    if (error.service === 'Keystone') return authProblem(key, error);
    return finding.problem(`${url} answered ${error.status} to GET /: it is not the root of the Ironic API`, endpoint);
  }
  const message = messageOf(error);
  if (/default_version/.test(message)) {
    return finding.problem(
      `${url} answers, but not as Ironic (GET / has no API versions)`,
      `set ${key}.url to Ironic's endpoint (port 6385 by default, without /v1)`,
    );
  }
  const code = CONNECTION_CODE.exec(message)?.[1];
  const fixes: Record<string, string> = {
    ECONNREFUSED: `start Ironic's API there, or correct ${key}.url (nothing listens on that port)`,
    ENOTFOUND: `correct the host name in ${key}.url, or make it resolve on this machine`,
    EAI_AGAIN: `check DNS on this machine, or use an IP address in ${key}.url`,
    EHOSTUNREACH: `check the network route and firewalls between this machine and ${url}`,
    ENETUNREACH: `check the network route and firewalls between this machine and ${url}`,
    ETIMEDOUT: `check firewalls between this machine and ${url}`,
    UND_ERR_CONNECT_TIMEOUT: `check firewalls between this machine and ${url}`,
  };
  const tls = code !== undefined && /CERT|UNABLE_TO/.test(code);
  const fix = tls
    ? `set ${key}.ca_file to the CA bundle that signed Ironic's certificate`
    : (fixes[code ?? ''] ?? `check ${key}.url and that Ironic runs there`);
  return finding.problem(`cannot reach Ironic at ${url}${code === undefined ? `: ${message}` : ` (${code})`}`, fix);
}

/** The authenticated request failed. */
function refused(config: IronicConfig, key: string, error: unknown): Finding {
  if (isIronicHttpError(error) && (error.status === 401 || error.status === 403)) return authProblem(key, error, config);
  if (isCpiError(error) || error instanceof Error)
    return finding.problem(`listing nodes failed: ${messageOf(error)}`, "see the message; Ironic's own log says more");
  return finding.problem(`listing nodes failed: ${String(error)}`, 'see the message');
}

function authProblem(key: string, error: IronicHttpError, config?: IronicConfig): Finding {
  const said = `${error.status}${error.faultstring ? `: ${error.faultstring.replace(/\.$/, '')}` : ''}`;
  if (error.service === 'Keystone') {
    return finding.problem(
      `Keystone refused the credentials (${said})`,
      `correct ${key}.auth (username and password or application credential, domains, project) or its clouds.yaml cloud`,
    );
  }
  if (error.status === 403) {
    return finding.problem(
      `Ironic accepted the credentials but refuses to list nodes (${said})`,
      "give the user a role Ironic's policy lets manage nodes (baremetal admin)",
    );
  }
  const auth = config?.ironic.auth ?? { type: 'noauth' };
  if (auth.type === 'noauth') {
    return finding.problem(
      `Ironic requires credentials, but ${key}.auth is noauth (${said})`,
      `set ${key}.auth to {type: http_basic, username, password} or {type: keystone, ...}`,
    );
  }
  if (auth.type === 'http_basic') {
    return finding.problem(
      `Ironic refused user '${auth.username}' with the configured password (${said})`,
      `correct ${key}.auth.username or .password to an entry of Ironic's http_basic_auth_user_file`,
    );
  }
  return finding.problem(`Ironic refused the credentials (${said})`, `correct ${key}.auth`);
}

/** Nodes kept for their persistent disks without a VM: what each waits for, and since when. */
async function reportParked(config: IronicConfig, { report, signal, seams }: DoctorContext): Promise<void> {
  const pool = await openPool(config, seams);
  try {
    const parked = (await pool.nodes(signal)).map(nodeStatus).filter((s) => s.use === 'parked');
    const list = parked.map((s) => `${s.name ?? s.uuid} ${s.reason}`).join('; ');
    report(
      finding.ok(
        parked.length === 0
          ? 'no node is parked for persistent disks'
          : `${parked.length} node${parked.length === 1 ? '' : 's'} parked for persistent disks (see hybrid-cpi nodes): ${list}`,
      ),
    );
  } catch (error) {
    report(finding.problem(`listing the nodes failed: ${messageOf(error)}`, "see the message; Ironic's own log says more"));
  } finally {
    await pool.close();
  }
}
