import { didYouMean, isCpiError, silentLogger } from '@hybrid-cpi/core';
import {
  MINIMUM_MICROVERSION,
  SHARDS_MICROVERSION,
  compareVersions,
  connectIronic,
  discoverVersions,
  isIronicHttpError,
  listShards,
  nodeStatus,
  openPool,
  safeUrl,
  type IronicClient,
  type IronicConfig,
  type IronicHttpError,
  type VersionRange,
} from '@hybrid-cpi/backend-ironic/operator';
import { ok, problem, type Report } from './checks.js';
import { count, messageOf } from './report.js';

/**
 * Ironic of one backend: Keystone's token (and Ironic's endpoint in its catalog) when it
 * authenticates there, reachable, an API version range the CPI can use, and credentials that
 * Ironic accepts. Each check runs only when the one before passed: an unreachable server has no
 * version to read. Returns the range Ironic offers, when it answered.
 */
export async function checkIronic(name: string, config: IronicConfig, report: Report, signal: AbortSignal): Promise<VersionRange | undefined> {
  const key = `backends.${name}.ironic`;
  let client: IronicClient;
  try {
    // One attempt: a doctor says at once what is wrong rather than retrying for 15 s.
    client = await connectIronic(config.ironic, { logger: silentLogger, retry: { attempts: 1 } });
  } catch (error) {
    report(problem(name, `cannot set up the Ironic client: ${messageOf(error)}`, `correct ${key} (TLS files, auth, clouds.yaml)`));
    return undefined;
  }
  try {
    if (!(await checkKeystone(name, client, key, report, signal))) return undefined;
    const url = safeUrl(await client.endpoint(signal));
    let range: VersionRange;
    try {
      range = await discoverVersions(client, { signal });
    } catch (error) {
      report(unreachable(name, url, key, error));
      return undefined;
    }
    report(ok(name, `Ironic at ${url} answers`));
    const needs = `the CPI needs ${MINIMUM_MICROVERSION} (the allocation API) or later`;
    if (compareVersions(range.max, MINIMUM_MICROVERSION) < 0) {
      report(problem(name, `Ironic offers API versions ${range.min} to ${range.max}; ${needs}`, 'upgrade Ironic to 12.1 (OpenStack Stein) or later'));
      return range;
    }
    if (compareVersions(range.min, MINIMUM_MICROVERSION) > 0) {
      report(
        problem(
          name,
          `Ironic offers API versions ${range.min} to ${range.max} and no longer accepts ${MINIMUM_MICROVERSION}, which the CPI sends`,
          'use a newer hybrid-cpi release',
        ),
      );
      return range;
    }
    report(ok(name, `API versions ${range.min} to ${range.max}: ${needs}`));
    const shard = config.shard;
    if (shard !== undefined && compareVersions(range.max, SHARDS_MICROVERSION) < 0) {
      report(
        problem(
          name,
          `shard '${shard}' needs Ironic API ${SHARDS_MICROVERSION}, but Ironic offers up to ${range.max}`,
          `upgrade Ironic to 21.4 (OpenStack 2023.1) or later, or remove backends.${name}.shard`,
        ),
      );
      return range;
    }
    try {
      // Within the shard, when the backend names one: doctor reads nothing the CPI would not.
      const query = { limit: 1, fields: 'uuid', ...(shard === undefined ? {} : { shard }) };
      await client.request('GET', '/v1/nodes', {
        query,
        ...(shard === undefined ? {} : { microversion: SHARDS_MICROVERSION }),
        doing: 'Listing nodes',
        signal,
      });
      report(ok(name, `credentials accepted (${describeAuth(config)})`));
    } catch (error) {
      report(refused(name, config, key, error));
      return range;
    }
    if (shard !== undefined) await checkShard(name, shard, client, report, signal);
    await reportParked(name, config, report, signal);
    return range;
  } finally {
    await client.close();
  }
}

/** A token for the configured identity, and where the catalog puts Ironic; true when there is no Keystone. */
async function checkKeystone(name: string, client: IronicClient, key: string, report: Report, signal: AbortSignal): Promise<boolean> {
  const who = client.keystoneIdentity();
  if (who === undefined) return true;
  try {
    const session = (await client.keystone(signal))!;
    report(
      ok(
        name,
        `Keystone at ${who.tokensUrl} issued a token for ${who.identity}${session.expiresAt === undefined ? '' : ` (valid until ${session.expiresAt})`}`,
      ),
    );
    if (session.endpoint !== undefined) {
      report(
        ok(
          name,
          `the catalog's ${session.interface} baremetal endpoint${session.region === undefined ? '' : ` in ${session.region}`} is ${safeUrl(session.endpoint)}`,
        ),
      );
    }
    return true;
  } catch (error) {
    if (isIronicHttpError(error) && error.service === 'Keystone') {
      report(
        problem(
          name,
          `Keystone at ${who.tokensUrl} refused ${who.identity} (${error.status}${error.faultstring ? `: ${error.faultstring.replace(/\.$/, '')}` : ''})`,
          `correct ${key}.auth (username and password or application credential, domains, project) or its clouds.yaml cloud`,
        ),
      );
    } else {
      report(
        problem(
          name,
          `Keystone at ${who.tokensUrl}, for ${who.identity}: ${messageOf(error)}`,
          `check ${key}.auth.auth_url (or the clouds.yaml cloud's) and that Keystone answers there`,
        ),
      );
    }
    return false;
  }
}

/** The backend's shard has nodes: Ironic lists a shard only while a node is in it (`GET /v1/shards`). */
async function checkShard(name: string, shard: string, client: IronicClient, report: Report, signal: AbortSignal): Promise<void> {
  try {
    const shards = await listShards(client, { signal });
    const found = shards.find((s) => s.name === shard);
    if (found !== undefined) {
      report(ok(name, `shard '${shard}' has ${count(found.count, 'node')}: the backend lists, claims and enrolls only those`));
      return;
    }
    const known = shards.map((s) => s.name);
    report(
      problem(
        name,
        `no node of Ironic is in shard '${shard}'${known.length === 0 ? ' (no node has a shard)' : ''}${didYouMean(shard, known)}`,
        `set the shard of this backend's nodes (openstack baremetal node set --shard ${shard} NODE), or correct backends.${name}.shard`,
      ),
    );
  } catch (error) {
    report(problem(name, `listing the shards failed: ${messageOf(error)}`, "see the message; Ironic's own log says more"));
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

function unreachable(name: string, url: string, key: string, error: unknown) {
  if (isIronicHttpError(error)) {
    const endpoint = `set ${key}.url to Ironic's endpoint (port 6385 by default, without /v1)`;
    // Something answered: the name, the port and TLS are fine, but it is not Ironic.
    if (error.foreign !== undefined) return problem(name, `${url} answered ${error.status} to GET / with ${error.foreign}: it is not the Ironic API`, endpoint);
    if (error.service === 'Keystone') return authProblem(name, key, error);
    return problem(name, `${url} answered ${error.status} to GET /: it is not the root of the Ironic API`, endpoint);
  }
  const message = messageOf(error);
  if (/default_version/.test(message)) {
    return problem(
      name,
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
  return problem(name, `cannot reach Ironic at ${url}${code === undefined ? `: ${message}` : ` (${code})`}`, fix);
}

/** The authenticated request failed. */
function refused(name: string, config: IronicConfig, key: string, error: unknown) {
  if (isIronicHttpError(error) && (error.status === 401 || error.status === 403)) return authProblem(name, key, error, config);
  if (isCpiError(error) || error instanceof Error)
    return problem(name, `listing nodes failed: ${messageOf(error)}`, "see the message; Ironic's own log says more");
  return problem(name, `listing nodes failed: ${String(error)}`, 'see the message');
}

function authProblem(name: string, key: string, error: IronicHttpError, config?: IronicConfig) {
  const said = `${error.status}${error.faultstring ? `: ${error.faultstring.replace(/\.$/, '')}` : ''}`;
  if (error.service === 'Keystone') {
    return problem(
      name,
      `Keystone refused the credentials (${said})`,
      `correct ${key}.auth (username and password or application credential, domains, project) or its clouds.yaml cloud`,
    );
  }
  if (error.status === 403) {
    return problem(
      name,
      `Ironic accepted the credentials but refuses to list nodes (${said})`,
      "give the user a role Ironic's policy lets manage nodes (baremetal admin)",
    );
  }
  const auth = config?.ironic.auth ?? { type: 'noauth' };
  if (auth.type === 'noauth') {
    return problem(
      name,
      `Ironic requires credentials, but ${key}.auth is noauth (${said})`,
      `set ${key}.auth to {type: http_basic, username, password} or {type: keystone, ...}`,
    );
  }
  if (auth.type === 'http_basic') {
    return problem(
      name,
      `Ironic refused user '${auth.username}' with the configured password (${said})`,
      `correct ${key}.auth.username or .password to an entry of Ironic's http_basic_auth_user_file`,
    );
  }
  return problem(name, `Ironic refused the credentials (${said})`, `correct ${key}.auth`);
}

/** Nodes kept for their persistent disks without a VM: what each waits for, and since when. */
async function reportParked(name: string, config: IronicConfig, report: Report, signal: AbortSignal): Promise<void> {
  const pool = await openPool(config);
  try {
    const parked = (await pool.nodes(signal)).map(nodeStatus).filter((s) => s.use === 'parked');
    const list = parked.map((s) => `${s.name ?? s.uuid} ${s.reason}`).join('; ');
    report(
      ok(
        name,
        parked.length === 0
          ? 'no node is parked for persistent disks'
          : `${count(parked.length, 'node')} parked for persistent disks (see hybrid-cpi nodes): ${list}`,
      ),
    );
  } catch (error) {
    report(problem(name, `listing the nodes failed: ${messageOf(error)}`, "see the message; Ironic's own log says more"));
  } finally {
    await pool.close();
  }
}
