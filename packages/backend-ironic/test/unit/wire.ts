// A whole Ironic backend on an undici MockAgent, given to createIronicBackend as its HTTP seam: the
// unit tier drives the CPI methods and asserts every request they send, in order, exactly.
import { isDeepStrictEqual } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { MockAgent, MockPool } from 'undici';
import type { Backend, BackendName, CallContext, MethodName } from '@hybrid-cpi/core';
import { directCallContext } from '@hybrid-cpi/core/testing';
import { createIronicBackend } from '../../src/backend.js';
import type { IronicConfig } from '../../src/config.js';
import { globalRequestId } from '../../src/ironic/request-id.js';
import type { Node } from '../../src/ironic/types.js';
import { captureLogger, expectCall, expectLock, ORIGIN, useIronicMock, type Expected, type LogEntry } from './ironic/helpers.js';

/** The director's request id of every call here, and the global request id Ironic gets for it. */
export const REQUEST_ID = 'cpi-4711';
export const GLOBAL_ID = globalRequestId(REQUEST_ID)!;
/** The `agent` section of the CPI config. */
export const AGENT = { mbus: 'nats://10.0.0.6:4222', ntp: ['0.pool.ntp.org'] } as const;

export interface Wire {
  readonly backend: Backend;
  /** The backend's HTTP seam; `pool` is its Ironic. */
  readonly agent: MockAgent;
  readonly pool: MockPool;
  readonly logs: LogEntry[];
  /** Every sleep of the backend (waits, back-offs, the lock), in ms; the seam's clock moves by them. */
  readonly sleeps: number[];
  /**
   * Expects one request: method, path, query, microversion header and JSON body exactly, and the
   * call's global request id. Answers as the lab's Ironic does, with its maximum microversion in
   * a header (so the backend learns it from the first answer, as from a real server).
   */
  on(expected: Expected, status: number, body?: unknown): void;
  /** The requests of an uncontended node lock around a change of `node` (see expectLock). */
  lock(node: Node): { unlock(): void };
  /** The look-up of the node a VM CID names by its claim: the node `uuid` carries it, or none does. */
  claimedBy(cid: string, uuid: string | undefined): void;
  /** The listing of a node's ports (its NICs) that matches the VM's networks to them. */
  nics(uuid: string, mac: string): void;
  /**
   * The provisioning throttle's look at the deploys in flight in the default conductor group
   * (placement/deploy-slots.ts): `nodes` are the claimed nodes it lists besides the VM's own.
   */
  deploySlots(nodes?: readonly unknown[]): void;
}

/** A factory of {@link Wire}s; every request expected must have been sent by the end of the test. */
export function useWire(): (config?: Partial<IronicConfig>, options?: { readonly maximum?: string }) => Promise<Wire> {
  const mock = useIronicMock();
  return async (config = {}, options = {}) => {
    const { agent, pool } = mock();
    const logs = captureLogger();
    const sleeps: number[] = [];
    let now = 0;
    const backend = await createIronicBackend(
      { type: 'ironic', ironic: { url: ORIGIN }, ...config },
      {
        name: 'metal' as BackendName,
        logger: logs,
        agent: AGENT,
        seams: {
          httpDispatcher: agent,
          clock: () => now,
          sleep: async (ms) => {
            sleeps.push(ms);
            now += ms;
          },
        },
      },
    );
    const headers = { 'x-openstack-ironic-api-maximum-version': options.maximum ?? '1.82' };
    const on: Wire['on'] = (expected, status, body = '') =>
      void expectCall(pool, { ...expected, headers: { 'x-openstack-request-id': GLOBAL_ID, ...expected.headers } }).reply(status, body as object, { headers });
    return {
      backend,
      agent,
      pool,
      logs: logs.entries,
      sleeps,
      on,
      lock: (node) => expectLock({ agent, pool, client: undefined as never, logs: [], sleeps: [] }, node),
      claimedBy: (cid, uuid) =>
        on({ method: 'GET', path: '/v1/nodes', query: { instance_uuid: cid, fields: 'uuid' } }, 200, {
          nodes: uuid === undefined ? [] : [{ uuid }],
          next: null,
        }),
      nics: (uuid, mac) =>
        on({ method: 'GET', path: '/v1/ports', query: { node_uuid: uuid, fields: 'address,physical_network,pxe_enabled' } }, 200, {
          ports: [{ address: mac, physical_network: null, pxe_enabled: true }],
          next: null,
        }),
      deploySlots: (nodes = []) =>
        on(
          {
            method: 'GET',
            path: '/v1/nodes',
            query: {
              associated: 'true',
              conductor_group: '',
              sort_key: 'provision_state',
              sort_dir: 'desc',
              fields: 'uuid,provision_state,extra',
              limit: '1000',
            },
          },
          200,
          { nodes, next: null },
        ),
    };
  };
}

/** The context of one call, with the director's request id {@link REQUEST_ID}; never aborted. */
export function call(method: MethodName): CallContext {
  return directCallContext(method, { apiVersion: 2, directorUuid: 'director-1', requestId: REQUEST_ID });
}

/**
 * The JSON files of a config drive as Ironic receives it (base64 of the gzipped ISO), read back
 * from the image: each file's data is contiguous and padded with zeros to its sector's end.
 */
export function configDriveJson(configdrive: string): { userData: unknown; metaData: unknown; networkData: unknown } {
  const iso = gunzipSync(Buffer.from(configdrive, 'base64')).toString('latin1');
  const file = (opening: string) => {
    const at = iso.indexOf(opening);
    if (at === -1) throw new Error(`no file starting ${opening} in the config drive`);
    return JSON.parse(Buffer.from(iso.slice(at, iso.indexOf('\0', at)), 'latin1').toString('utf8')) as unknown;
  };
  return { userData: file('{"agent_id"'), metaData: file('{"instance-id"'), networkData: file('{"links"') };
}

/**
 * The body of a deploy (`target` and a config drive, nothing else) as a matcher, and the files of
 * the config drive it matched, for the test to assert after the call.
 */
export function deployOf(target: string): { readonly body: (text: string) => boolean; drive(): ReturnType<typeof configDriveJson> } {
  let configdrive: string | undefined;
  return {
    body: (text) => {
      const parsed = JSON.parse(text) as { target?: unknown; configdrive?: unknown };
      if (parsed.target !== target || typeof parsed.configdrive !== 'string' || Object.keys(parsed).length !== 2) return false;
      configdrive = parsed.configdrive;
      return true;
    },
    drive: () => {
      if (configdrive === undefined) throw new Error(`no deploy to ${target} was sent`);
      return configDriveJson(configdrive);
    },
  };
}

/**
 * A matcher of the patch that writes the VM's record (`record` plus a held deploy slot mark, whose
 * times are the wall clock's) and then `more` ops exactly.
 */
export function recordWithSlot(record: object, ...more: readonly unknown[]): (text: string) => boolean {
  return (text) => {
    const [first, ...rest] = JSON.parse(text) as [{ op: string; path: string; value: { deploy_slot?: Record<string, unknown> } }, ...unknown[]];
    const { deploy_slot: slot, ...value } = first.value;
    const iso = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
    return (
      first.op === 'add' &&
      first.path === '/extra/bosh_vm' &&
      isDeepStrictEqual(value, record) &&
      slot?.['held'] === true &&
      iso(slot['queued_at']) &&
      iso(slot['at']) &&
      isDeepStrictEqual(rest, more)
    );
  };
}
