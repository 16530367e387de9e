import { isDeepStrictEqual } from 'node:util';
import { afterEach } from 'vitest';
import { MockAgent, type MockPool } from 'undici';
import { silentLogger, type BackendName, type Logger } from '@hybrid-cpi/core';
import type { IronicConfig, IronicContext } from '../../../src/config.js';
import { realClock, realSleep } from '../../../src/ironic/backoff.js';
import { IronicClient, type IronicClientOptions } from '../../../src/ironic/client.js';
import type { Allocation, Node } from '../../../src/ironic/types.js';

export const ORIGIN = 'http://ironic.test:6385';
export const NODE = '6f4a1a8e-2d1c-4c55-9d0b-8f0e6c1d2a11';
export const ALLOC = 'a1a1a1a1-0000-4000-8000-000000000001';
export const INSTANCE = '11111111-2222-4333-8444-555555555555';

export interface LogEntry {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A pino-like logger that keeps every call. */
export function captureLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const at =
    (level: string) =>
    (first: Record<string, unknown> | string, msg?: string): void => {
      if (typeof first === 'string') entries.push({ level, fields: { ...bindings }, msg: first });
      else entries.push({ level, fields: { ...bindings, ...first }, msg });
    };
  return {
    entries,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isLevelEnabled: () => true,
    child: (more) => captureLogger(entries, { ...bindings, ...more }),
  };
}

export interface Harness {
  readonly agent: MockAgent;
  readonly pool: MockPool;
  readonly client: IronicClient;
  readonly logs: LogEntry[];
  /** Every back-off the client asked for, in ms. */
  readonly sleeps: number[];
}

/**
 * Installs an afterEach that checks every MockAgent made in the test was used up, then returns a
 * factory for client + MockAgent pairs (net connect disabled, sleeps recorded, jitter 0.5).
 */
/** Options to change, or to drop with `undefined` (`{ url: undefined }`: Keystone's catalog gives it). */
export type ClientOverrides = { readonly [K in keyof IronicClientOptions]?: IronicClientOptions[K] | undefined };

export function useIronicMock(): (options?: ClientOverrides) => Harness {
  let agents: MockAgent[] = [];
  afterEach(async () => {
    const current = agents;
    agents = [];
    try {
      for (const agent of current) agent.assertNoPendingInterceptors();
    } finally {
      await Promise.all(current.map((agent) => agent.close()));
    }
  });
  return (options = {}) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    const logger = captureLogger();
    const sleeps: number[] = [];
    const client = new IronicClient(
      dropUndefined<ClientOverrides>({
        url: ORIGIN,
        auth: { type: 'noauth' },
        dispatcher: agent,
        logger,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
        ...options,
      }) as IronicClientOptions,
    );
    return { agent, pool: agent.get(ORIGIN), client, logs: logger.entries, sleeps };
  };
}

export interface Expected {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  /** The exact JSON body, or a matcher of its text (a config drive); `undefined` means none is sent. */
  readonly body?: unknown;
  readonly microversion?: string;
  readonly headers?: Record<string, string | ((value: string) => boolean)>;
}

/**
 * An interceptor that matches method, path, query, the microversion header (1.52 unless told)
 * and the exact JSON body (structurally, so key order does not matter).
 */
export function expectCall(pool: MockPool, expected: Expected) {
  return pool.intercept({
    method: expected.method,
    path: expected.path,
    ...(expected.query === undefined ? {} : { query: expected.query }),
    headers: {
      'x-openstack-ironic-api-version': expected.microversion ?? '1.52',
      accept: 'application/json',
      ...(expected.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...expected.headers,
    },
    body: (body: string) =>
      expected.body === undefined
        ? body === undefined || body === '' || body === null
        : typeof expected.body === 'function'
          ? matches(expected.body as (text: string) => boolean, body)
          : isDeepStrictEqual(safeParse(body), expected.body),
  });
}

/** A matcher that throws on a body of another shape does not match it (undici tries each interceptor of the path). */
function matches(matcher: (text: string) => boolean, text: string): boolean {
  try {
    return matcher(text);
  } catch {
    return false;
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol('not JSON');
  }
}

/** Ironic's error body: a JSON document inside a JSON string. */
export function ironicError(faultstring: string, faultcode = 'Client'): { error_message: string } {
  return { error_message: JSON.stringify({ faultcode, faultstring, debuginfo: null }) };
}

export function nodeFixture(overrides: Partial<Node> = {}): Node {
  return {
    uuid: NODE,
    name: 'node-1',
    driver: 'fake-hardware',
    driver_info: { ipmi_password: '******' },
    properties: { memory_mb: 4096, cpus: 2, local_gb: 20, cpu_arch: 'x86_64' },
    instance_info: {},
    instance_uuid: null,
    extra: {},
    provision_state: 'available',
    target_provision_state: null,
    power_state: 'power off',
    target_power_state: null,
    maintenance: false,
    maintenance_reason: null,
    fault: null,
    last_error: null,
    reservation: null,
    resource_class: 'bm.small',
    traits: [],
    conductor_group: '',
    automated_clean: null,
    protected: false,
    conductor: 'ironic-lab',
    owner: null,
    description: null,
    allocation_uuid: null,
    provision_updated_at: null,
    created_at: '2026-11-24T10:00:00+00:00',
    updated_at: null,
    ...overrides,
  };
}

export function allocationFixture(overrides: Partial<Allocation> = {}): Allocation {
  return {
    uuid: ALLOC,
    name: 'bosh-a-1',
    state: 'allocating',
    node_uuid: null,
    resource_class: 'bm.small',
    traits: [],
    candidate_nodes: [],
    last_error: null,
    extra: {},
    created_at: 't',
    updated_at: null,
    ...overrides,
  };
}

/** A backend context around a mocked client (claims by instance_uuid unless told). */
export function backendContext(client: IronicClient, config: Partial<IronicConfig> = {}, logger: Logger = silentLogger): IronicContext {
  return {
    name: 'metal' as BackendName,
    config: { type: 'ironic', ironic: { url: ORIGIN }, ...config },
    agent: undefined,
    client,
    logger,
    clock: realClock,
    sleep: realSleep,
    useAllocations: async () => false,
  };
}

/** The server's answer to `GET /`: the newest microversion it offers. */
export function serverAt({ pool }: Harness, version: string): void {
  expectCall(pool, { method: 'GET', path: '/' }).reply(200, { default_version: { min_version: '1.1', version } });
}

/**
 * The requests of an uncontended node lock (node/lock.ts): the process's trait added, and the node
 * read with that trait among its own (`node`). `unlock` expects the trait removed.
 */
export function expectLock({ pool }: Harness, node: Node): { unlock: () => void } {
  let trait: string | undefined;
  const traitPath = new RegExp(`^/v1/nodes/${node.uuid}/traits/(CUSTOM_BOSH_LOCK_\\w+)$`);
  pool
    .intercept({
      method: 'PUT',
      path: (path: string) => {
        trait = traitPath.exec(path)?.[1] ?? trait;
        return traitPath.test(path);
      },
    })
    .reply(204, '');
  pool.intercept({ method: 'GET', path: `/v1/nodes/${node.uuid}` }).reply(200, () => ({ ...node, traits: [...(node.traits ?? []), trait] }));
  return {
    unlock: () =>
      void pool
        .intercept({ method: 'DELETE', path: (path: string) => trait !== undefined && path === `/v1/nodes/${node.uuid}/traits/${trait}` })
        .reply(204, ''),
  };
}

/** The object without its keys whose value is `undefined`. */
export function dropUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
