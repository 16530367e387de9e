// What the operator commands (`hybrid-cpi doctor`, `validate`, `explain`, `nodes`) get from a
// backend that offers more than its CPI methods (BackendModule.operator): doctor findings and a
// view of the nodes it places VMs on. The commands write the reports; a backend only answers.
import type { CloudProperties } from './backend.js';

/** ok: fine; warning: may fail, depending on what cannot be seen from here; problem: will fail. */
export type FindingStatus = 'ok' | 'warning' | 'problem';

/** What one doctor check found and, unless it is fine, how to fix it. */
export interface Finding {
  readonly status: FindingStatus;
  readonly text: string;
  readonly fix: string | null;
}

export const finding = {
  ok: (text: string): Finding => ({ status: 'ok', text, fix: null }),
  warning: (text: string, fix: string): Finding => ({ status: 'warning', text, fix }),
  problem: (text: string, fix: string): Finding => ({ status: 'problem', text, fix }),
} as const;

/** A node as a report names it. */
export interface NodeRef {
  readonly uuid: string;
  readonly name: string | null;
}

/** A node a report names, and why it cannot take something. */
export interface NodeRefReason extends NodeRef {
  readonly reason: string;
}

/** Why the nodes could not be judged (the backend's server did not answer, a cloud_property is refused). */
export interface ViewFailure {
  readonly error: string;
}

/** What a type asks of a node's devices: a disk of `sizeMb` (a disk_type), or the agent's disks (a vm_type). */
export type DeviceNeed = { readonly disk: true; readonly sizeMb: number } | { readonly disk: false };

/** How the nodes fare against a vm_type or disk_type (`hybrid-cpi validate`). */
export interface TypeFit {
  /** create_vm would enroll a new node rather than take one. */
  readonly enrolls: boolean;
  /** Nodes its selectors match, as if every node were free and healthy. */
  readonly matched: number;
  /** Of those, free now. */
  readonly free: number;
  /** Of those matched, the ones that can serve it (devices, and for a vm_type a claim create_vm can make). */
  readonly usable: number;
  /** Why the others can never take it: the selectors when none matches, else the devices or the claim. */
  readonly rejected: readonly NodeRefReason[];
}

/** The node create_vm would take for a vm_type, and why not the others (`hybrid-cpi explain`). */
export interface NodeChoice {
  /** What the vm_type asks of a node, in one line. */
  readonly requires: string;
  readonly enrolls: boolean;
  readonly wouldTake: NodeRef | null;
  /** Other nodes that fit: create_vm picks one of the fitting nodes at random. */
  readonly alsoFit: readonly NodeRef[];
  readonly notTaken: readonly NodeRefReason[];
  /** How create_vm orders the fitting nodes by failure domain; absent when the backend spreads none. */
  readonly placement?: Placement;
}

/** A create_vm's choice of failure domain, and the counts it is made on. */
export interface Placement {
  /** What names the domains (`node property rack`). */
  readonly source: string;
  /** The instance group counted (`env.bosh.group`); null: none given, nothing counted. */
  readonly group: string | null;
  /** The fitting nodes' domains, in the order create_vm tries them: fewest instances of the group first. */
  readonly domains: readonly { readonly domain: string; readonly instances: number; readonly fitting: number }[];
  /** Fitting nodes in no named domain: tried after every domain. */
  readonly unnamed: number;
}

/** Every node as a table row and as JSON (`hybrid-cpi nodes`); the columns name the row's cells. */
export interface NodeList {
  readonly columns: readonly string[];
  readonly nodes: readonly { readonly cells: readonly string[]; readonly json: Readonly<Record<string, unknown>> }[];
}

/** What returning a node from quarantine did, step by step. */
export interface ReturnedNode extends NodeRef {
  readonly done: readonly string[];
}

/**
 * One backend's nodes as the operator commands see them: listed once, judged against any number of
 * types. Read-only but for `returnNode`; close it when done.
 */
export interface NodeView {
  count(): Promise<{ readonly count: number } | ViewFailure>;
  fit(props: CloudProperties, need: DeviceNeed): Promise<TypeFit | ViewFailure>;
  /** `group`: the instance group the VM is for (`env.bosh.group`), for the failure-domain counts. */
  choose(props: CloudProperties, group?: string): Promise<NodeChoice | ViewFailure>;
  list(): Promise<NodeList | ViewFailure>;
  /** Returns a node the backend took out of use back to the pool; throws why it cannot. */
  returnNode(node: string): Promise<ReturnedNode>;
  close(): Promise<void>;
}
