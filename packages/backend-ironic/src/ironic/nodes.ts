import { isDeepStrictEqual } from 'node:util';
import { CpiError } from '@hybrid-cpi/core';
import { callOptions, segment, type CallOptions } from './call-options.js';
import type { IronicClient } from './client.js';
import { CONFIGDRIVE_DICT, DEPLOY_VERB, SHARDS, maxVersion, type Microversion } from './microversions.js';
import { shardError } from './shards.js';
import type { PatchOp } from './patch.js';
import type { PowerTarget, ProvisionState } from './states.js';
import { isMaybeProcessed } from './errors.js';
import type { ConfigDriveDict, JsonObject, Node, NodeCreate, NodeField, NodeValidation } from './types.js';

const node = (id: string) => `/v1/nodes/${segment(id)}`;

/** `GET /v1/nodes/{uuid|name}`; with `fields`, only those (since 1.8); `microversion` for newer fields. */
export async function getNode<K extends NodeField = NodeField>(
  client: IronicClient,
  id: string,
  options: CallOptions & { readonly fields?: readonly K[]; readonly microversion?: Microversion } = {},
): Promise<Pick<Node, K>> {
  const { body } = await client.request<Pick<Node, K>>('GET', node(id), {
    ...(options.fields === undefined ? {} : { query: { fields: options.fields } }),
    ...(options.microversion === undefined ? {} : { microversion: client.at(options.microversion) }),
    ...callOptions(options, `Getting node ${id}`),
  });
  return body;
}

/** Filters of `GET /v1/nodes`; an unknown one is a 400, so only these exist. */
export interface NodeFilters<K extends NodeField = NodeField> {
  readonly provision_state?: ProvisionState;
  /** Whether `instance_uuid` is set. */
  readonly associated?: boolean;
  readonly maintenance?: boolean;
  readonly resource_class?: string;
  /** Since 1.46. */
  readonly conductor_group?: string;
  readonly instance_uuid?: string;
  readonly driver?: string;
  /** Since 1.82: only the nodes of this shard (the request is then sent at 1.82 at least). */
  readonly shard?: string;
  /** Only these fields (list view); without it, full nodes (`/detail`, which refuses `fields`). */
  readonly fields?: readonly K[];
  /** Page size; the server caps it at `[api]max_limit` (1000). */
  readonly limit?: number;
  /** The order of the rows (default `id`, ascending); Ironic refuses JSON fields (`extra`, `properties`, …). */
  readonly sort_key?: NodeField;
  readonly sort_dir?: 'asc' | 'desc';
}

/**
 * The pages of `GET /v1/nodes` (following `next`); `microversion` for fields newer than the
 * client's. With a `shard`, a server older than 1.82 is a config error ({@link shardError}).
 */
export async function* listNodes<K extends NodeField = NodeField>(
  client: IronicClient,
  filters: NodeFilters<K> = {},
  options: CallOptions & { readonly microversion?: Microversion } = {},
): AsyncGenerator<Pick<Node, K>[], void, undefined> {
  const { fields, ...rest } = filters;
  if (fields?.includes('allocation_uuid' as K)) {
    // Ironic 21 answers 500 "type object 'Node' has no attribute 'allocation_uuid'" on lists.
    throw new CpiError('CPX_INTERNAL', 'Listing Ironic nodes: allocation_uuid cannot be a list field (Ironic answers 500); get the node itself');
  }
  const microversion = rest.shard === undefined ? options.microversion : maxVersion(options.microversion ?? SHARDS, SHARDS);
  const call = callOptions(options, 'Listing Ironic nodes');
  try {
    yield* client.pages<Pick<Node, K>>(fields === undefined ? '/v1/nodes/detail' : '/v1/nodes', 'nodes', {
      query: { ...rest, ...(fields === undefined ? {} : { fields }) },
      ...(microversion === undefined ? {} : { microversion: client.at(microversion) }),
      ...call,
    });
  } catch (error) {
    throw rest.shard === undefined ? error : await shardError(client, error, rest.shard, call.doing);
  }
}

/** `POST /v1/nodes` → the new node in `enroll`; a body with a `shard` is sent at 1.82 at least. */
export async function createNode(client: IronicClient, body: NodeCreate, options: CallOptions = {}): Promise<Node> {
  const call = callOptions(options, `Enrolling node ${body.name ?? body.uuid ?? ''}`.trimEnd());
  try {
    const { body: created } = await client.request<Node>('POST', '/v1/nodes', {
      body,
      ...(body.shard === undefined ? {} : { microversion: client.at(SHARDS) }),
      ...call,
    });
    return created;
  } catch (error) {
    throw body.shard === undefined ? error : await shardError(client, error, body.shard, call.doing);
  }
}

/** `DELETE /v1/nodes/{id}`: allowed in enroll, manageable, available, adopt failed (or in maintenance). Deletes its ports too. */
export async function deleteNode(client: IronicClient, id: string, options: CallOptions = {}): Promise<void> {
  await client.request('DELETE', node(id), callOptions(options, `Deleting node ${id}`));
}

/**
 * `PATCH /v1/nodes/{id}` with JSON-patch ops. With `claim`, a 409 is final: adding an
 * `instance_uuid` that differs from the node's is Ironic's atomic claim, and both 409 kinds
 * ("is associated", "is locked") mean another process got there first. `microversion` for
 * fields newer than the client's (`retired`: 1.61).
 *
 * When the connection breaks after the PATCH may have reached Ironic, it is not sent again
 * blindly (a `remove` would then fail, a claim would look lost): Ironic applies a patch whole or
 * not at all, so the node is read, and a patch whose every op shows there is done; any other is
 * sent again, which is harmless as it was not applied (see sendLooking).
 */
export async function patchNode(
  client: IronicClient,
  id: string,
  ops: readonly PatchOp[],
  options: CallOptions & { readonly claim?: boolean; readonly microversion?: Microversion } = {},
): Promise<Node> {
  const call = callOptions(options, `Updating node ${id}`);
  const microversion = options.microversion === undefined ? {} : { microversion: client.at(options.microversion) };
  const send = async () => (await client.request<Node>('PATCH', node(id), { body: ops, claim: options.claim ?? false, ...microversion, ...call })).body;
  return sendLooking(send, async () => {
    const now = await getNode(client, id, { ...microversion, ...call, doing: `${call.doing}: reading whether the update was made` });
    return ops.every((op) => shows(now, op)) ? { done: now } : undefined;
  });
}

/** How often a request that is not safe to repeat blindly is looked at and sent again (see sendLooking). */
const LOOKS = 3;

/**
 * Sends a request that is not safe to repeat blindly. When its connection breaks after it may
 * have reached Ironic, `look` reads what Ironic shows: the change made (`done`: the answer), not
 * made (undefined: sent again, and looked at again should that break too, up to {@link LOOKS}
 * sends), or neither (`look` throws the error it is given).
 */
async function sendLooking<T>(send: () => Promise<T>, look: (error: unknown) => Promise<{ readonly done: T } | undefined>): Promise<T> {
  for (let sent = 1; ; sent++) {
    try {
      return await send();
    } catch (error) {
      if (!isMaybeProcessed(error) || sent === LOOKS) throw error;
      const seen = await look(error);
      if (seen !== undefined) return seen.done;
    }
  }
}

/** Whether the node shows the op's outcome: the value at its path (`add`, `replace`), or none (`remove`). */
function shows(node: Node, op: PatchOp): boolean {
  let value: unknown = node;
  // Ironic's patch paths have no escapes (see ./patch.ts).
  for (const key of op.path.slice(1).split('/')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return op.op === 'remove' ? value === undefined || value === null : isDeepStrictEqual(value, op.value);
}

/** One step of manual cleaning. */
export interface CleanStep {
  readonly interface: 'deploy' | 'power' | 'management' | 'bios' | 'raid' | 'firmware' | (string & {});
  readonly step: string;
  readonly args?: JsonObject;
}

/** A config drive: a gzipped, base64-encoded ISO 9660 image or its URL, or a JSON object (since 1.56). */
export type ConfigDrive = string | ConfigDriveDict;

/** The body of `PUT /v1/nodes/{id}/states/provision`, one member per verb. */
export type ProvisionTarget =
  /** available → deploying → active. */
  | { readonly target: 'active'; readonly configdrive?: ConfigDrive }
  /**
   * The same as `active`, spelt `deploy` since 1.73, but Ironic 21.4 answers 400 "Adding a config
   * drive is only supported when setting provision state to active, rebuild" to it: use `active`
   * to deploy with a config drive.
   */
  | { readonly target: 'deploy' }
  /** active → deploying → active, with the same instance_info. */
  | { readonly target: 'rebuild'; readonly configdrive?: ConfigDrive }
  /** active → deleting → cleaning → available. `undeploy` is the same verb since 1.73. */
  | { readonly target: 'deleted' | 'undeploy' }
  /** enroll/available → manageable. */
  | { readonly target: 'manage' }
  /** manageable → cleaning → available. */
  | { readonly target: 'provide' }
  /** manageable → cleaning → manageable, running these steps. */
  | { readonly target: 'clean'; readonly clean_steps: readonly CleanStep[] }
  /** Stops a `* wait` state (clean wait, inspect wait, …; `wait call-back` since 1.110, to `deploy failed`). */
  | { readonly target: 'abort' };

/**
 * `PUT /v1/nodes/{id}/states/provision` → 202; the change runs in the conductor (see the waiters).
 * `microversion` where the verb needs a newer one in some state (`abort` in `wait call-back`: 1.110).
 *
 * When the connection breaks after the request may have reached Ironic, the node's state says
 * whether the change began ({@link AFTER_VERB}): then this returns, and the caller's wait follows
 * it; a node still where the verb starts from gets it again (see sendLooking); anything else stays
 * the error.
 */
export async function setProvisionState(
  client: IronicClient,
  id: string,
  target: ProvisionTarget,
  options: CallOptions & { readonly microversion?: Microversion } = {},
): Promise<void> {
  const call = callOptions(options, `Moving node ${id} to provision target ${target.target}`);
  const microversion = options.microversion === undefined ? provisionVersion(client, target) : client.at(options.microversion);
  const send = async () => {
    await client.request('PUT', `${node(id)}/states/provision`, { body: target, microversion, ...call });
  };
  await sendLooking(send, async (error) => {
    const verb = AFTER_VERB[target.target];
    if (verb === undefined) throw error;
    const now = await getNode(client, id, { fields: ['provision_state', 'target_provision_state'], ...call, doing: `${call.doing}: reading whether it began` });
    if (verb.began.includes(now.provision_state)) return { done: undefined };
    if (verb.from.includes(now.provision_state) && now.target_provision_state === null) return undefined;
    throw error;
  });
}

/**
 * What a node shows after a provision verb Ironic took (`began`: moving, or already done or
 * failed) and where the verb starts from (`from`: unchanged, so not taken). A verb whose end state
 * is also its start (`rebuild`: active → active) cannot be told apart once done, and is not here.
 */
interface VerbOutcome {
  readonly began: readonly ProvisionState[];
  readonly from: readonly ProvisionState[];
}
// `deploy`/`undeploy` (1.73) are the newer names of `active`/`deleted`.
const DEPLOYED: VerbOutcome = { began: ['deploying', 'wait call-back', 'deploy hold', 'active', 'deploy failed'], from: ['available'] };
const UNDEPLOYED: VerbOutcome = {
  began: ['deleting', 'cleaning', 'clean wait', 'clean failed', 'available', 'manageable'],
  from: ['active', 'deploy failed', 'wait call-back'],
};
const AFTER_VERB: Partial<Record<ProvisionTarget['target'], VerbOutcome>> = {
  active: DEPLOYED,
  deploy: DEPLOYED,
  deleted: UNDEPLOYED,
  undeploy: UNDEPLOYED,
  manage: { began: ['verifying', 'manageable'], from: ['enroll', 'available'] },
  provide: { began: ['cleaning', 'clean wait', 'clean failed', 'available'], from: ['manageable'] },
  abort: { began: ['deploy failed'], from: ['wait call-back'] },
};

function provisionVersion(client: IronicClient, target: ProvisionTarget): Microversion {
  if (target.target === 'deploy' || target.target === 'undeploy') return client.at(DEPLOY_VERB);
  // "configdrive" (no underscore) is the field's real name.
  if ((target.target === 'active' || target.target === 'rebuild') && typeof target.configdrive === 'object') return client.at(CONFIGDRIVE_DICT);
  return client.microversion;
}

/** `PUT /v1/nodes/{id}/states/power` → 202. Power on/off may be repeated safely; a reboot may not. */
export async function setPowerState(client: IronicClient, id: string, target: PowerTarget, options: CallOptions = {}): Promise<void> {
  await client.request('PUT', `${node(id)}/states/power`, {
    body: { target },
    idempotent: target === 'power on' || target === 'power off',
    ...callOptions(options, `Setting the power of node ${id} to ${target}`),
  });
}

/** `PUT /v1/nodes/{id}/maintenance` → 202. */
export async function setMaintenance(client: IronicClient, id: string, reason?: string, options: CallOptions = {}): Promise<void> {
  await client.request('PUT', `${node(id)}/maintenance`, {
    body: reason === undefined ? {} : { reason },
    idempotent: true,
    ...callOptions(options, `Putting node ${id} into maintenance`),
  });
}

/** `DELETE /v1/nodes/{id}/maintenance` → 202. */
export async function unsetMaintenance(client: IronicClient, id: string, options: CallOptions = {}): Promise<void> {
  await client.request('DELETE', `${node(id)}/maintenance`, { idempotent: true, ...callOptions(options, `Taking node ${id} out of maintenance`) });
}

/**
 * `PUT /v1/nodes/{id}/traits/{trait}` → 204: adds one trait (since 1.37). Each trait is a row of
 * its own, so concurrent adds of different traits never lose one another (unlike a PATCH of a
 * JSON field); adding one that exists succeeds.
 */
export async function addNodeTrait(client: IronicClient, id: string, trait: string, options: CallOptions = {}): Promise<void> {
  await client.request('PUT', `${node(id)}/traits/${segment(trait)}`, { idempotent: true, ...callOptions(options, `Adding trait ${trait} to node ${id}`) });
}

/** `DELETE /v1/nodes/{id}/traits/{trait}` → 204; 404 when the node lacks it. */
export async function removeNodeTrait(client: IronicClient, id: string, trait: string, options: CallOptions = {}): Promise<void> {
  await client.request('DELETE', `${node(id)}/traits/${segment(trait)}`, {
    idempotent: true,
    ...callOptions(options, `Removing trait ${trait} from node ${id}`),
  });
}

/** `PUT /v1/nodes/{id}/traits` → 204: replaces all traits (since 1.37). */
export async function setTraits(client: IronicClient, id: string, traits: readonly string[], options: CallOptions = {}): Promise<void> {
  await client.request('PUT', `${node(id)}/traits`, { body: { traits }, idempotent: true, ...callOptions(options, `Setting the traits of node ${id}`) });
}

/** `GET /v1/nodes/{id}/validate`: whether each interface has what it needs. */
export async function validateNode(client: IronicClient, id: string, options: CallOptions = {}): Promise<NodeValidation> {
  const { body } = await client.request<NodeValidation>('GET', `${node(id)}/validate`, callOptions(options, `Validating node ${id}`));
  return body;
}
