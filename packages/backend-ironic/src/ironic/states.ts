/**
 * Ironic's provision states (ironic/common/states.py). A newer server may report a state this
 * list lacks; the failure test below also accepts any `* failed`, as openstacksdk does.
 */
export const PROVISION_STATES = [
  'enroll',
  'verifying',
  'manageable',
  'inspecting',
  'inspect wait',
  'inspect failed',
  'cleaning',
  'clean wait',
  'clean hold',
  'clean failed',
  'available',
  'deploying',
  'wait call-back',
  'deploy hold',
  'deploy failed',
  'active',
  'deleting',
  'error',
  'adopting',
  'adopt failed',
  'rescuing',
  'rescue wait',
  'rescue',
  'rescue failed',
  'unrescuing',
  'unrescue failed',
  'servicing',
  'service wait',
  'service hold',
  'service failed',
] as const;

export type ProvisionState = (typeof PROVISION_STATES)[number];

/** States a node stays in until someone acts; an operation that ends anywhere else is still running. */
export const STABLE_STATES: ReadonlySet<ProvisionState> = new Set(['enroll', 'manageable', 'available', 'active', 'error', 'rescue']);

/** States an operation ends in when it failed; `last_error` then says why. */
export const FAILURE_STATES: ReadonlySet<ProvisionState> = new Set([
  'deploy failed',
  'clean failed',
  'inspect failed',
  'adopt failed',
  'rescue failed',
  'unrescue failed',
  'service failed',
  'error',
]);

export function isFailureState(state: string | null | undefined): boolean {
  return typeof state === 'string' && (FAILURE_STATES.has(state as ProvisionState) || state.endsWith(' failed'));
}

/**
 * Whether an operation runs on the node (Ironic then refuses a PATCH or another verb). A node in a
 * failure state rests there although Ironic keeps the target (`deploy failed` → `active`).
 */
export function isMoving(node: { readonly provision_state?: string | null; readonly target_provision_state?: string | null }): boolean {
  return Boolean(node.target_provision_state) && !isFailureState(node.provision_state);
}

/** The verbs of `PUT /v1/nodes/{id}/states/provision`. */
export type ProvisionVerb = 'active' | 'deploy' | 'deleted' | 'undeploy' | 'manage' | 'provide' | 'clean' | 'rebuild' | 'abort';

/** The stable state each verb leads to when it succeeds (openstacksdk's EXPECTED_STATES). */
export const EXPECTED_STATES: Readonly<Record<Exclude<ProvisionVerb, 'abort'>, ProvisionState>> = {
  active: 'active',
  deploy: 'active',
  rebuild: 'active',
  deleted: 'available',
  undeploy: 'available',
  manage: 'manageable',
  provide: 'available',
  clean: 'manageable',
};

/** A node's `power_state`; null until the conductor first syncs it (fake-hardware: until set). */
export type PowerState = 'power on' | 'power off' | 'error';

/** Targets of `PUT /v1/nodes/{id}/states/power`. */
export type PowerTarget = 'power on' | 'power off' | 'rebooting' | 'soft rebooting';

/** Allocation states: `allocating` until the conductor picks a node. */
export type AllocationState = 'allocating' | 'active' | 'error';
