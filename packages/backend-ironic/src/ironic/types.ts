import type { AllocationState, PowerState, ProvisionState } from './states.js';

/** Self and bookmark URLs Ironic adds to every resource, `fields=` or not. */
export interface Link {
  readonly href: string;
  readonly rel: 'self' | 'bookmark';
}

/** JSON as Ironic stores it in `extra`, `instance_info`, `properties`, `driver_info`. */
export type JsonObject = { [key: string]: unknown };

/** A bare-metal node, as `GET /v1/nodes/{id}` returns it at the client's microversion. */
export interface Node {
  readonly uuid: string;
  /** Unique when set; usable wherever a UUID is (since 1.5). */
  readonly name: string | null;
  readonly driver: string;
  /** BMC credentials: never log it. Ironic masks passwords as `******`. */
  readonly driver_info: JsonObject;
  /** Hardware description: `memory_mb`, `cpus`, `local_gb`, `cpu_arch`, `capabilities`, … */
  readonly properties: JsonObject;
  /** What to deploy: `image_source`, checksums, `root_gb`, …; Ironic masks `configdrive`. */
  readonly instance_info: JsonObject;
  /** The claim: set by PATCH or by an allocation; cleared on undeploy. */
  readonly instance_uuid: string | null;
  /** Free-form metadata. Kept across undeploy, so the CPI clears its own keys. */
  readonly extra: JsonObject;
  readonly provision_state: ProvisionState;
  /** The state an operation in progress is heading for; null when none is. */
  readonly target_provision_state: ProvisionState | 'deleted' | null;
  /** Null until the first power sync (fake-hardware nodes: until a power action). */
  readonly power_state: PowerState | null;
  readonly target_power_state: string | null;
  readonly maintenance: boolean;
  readonly maintenance_reason: string | null;
  /** Why the conductor put the node in maintenance (since 1.42). */
  readonly fault: string | null;
  /** The error of the last failed operation. */
  readonly last_error: string | null;
  /** The conductor holding the node lock, or null when it is unlocked. */
  readonly reservation: string | null;
  /** Since 1.21. */
  readonly resource_class: string | null;
  /** Since 1.37. */
  readonly traits: readonly string[];
  /** The conductor group that manages the node, `""` for the default one (since 1.46). */
  readonly conductor_group: string;
  /** Per-node override of automated cleaning; null follows the config (since 1.47). */
  readonly automated_clean: boolean | null;
  /** Since 1.48. */
  readonly protected: boolean;
  /** The conductor host that manages the node (since 1.49). */
  readonly conductor: string | null;
  /** Since 1.50. */
  readonly owner: string | null;
  /** Since 1.51. */
  readonly description: string | null;
  /** Out of every pool: it cannot be provided, and ends in `manageable` after cleaning (since 1.61; absent when asked for at an older version). */
  readonly retired?: boolean;
  /** Since 1.61. */
  readonly retired_reason?: string | null;
  /** The shard the node belongs to, null for none (since 1.82; absent when asked for at an older version). */
  readonly shard?: string | null;
  /** The hardware health the BMC reports; null when the driver reports none (since 1.109). */
  readonly health?: NodeHealth | null;
  /** The allocation holding the node (since 1.52; a 500 when asked for in a node *list*). */
  readonly allocation_uuid: string | null;
  readonly provision_updated_at: string | null;
  readonly created_at: string;
  readonly updated_at: string | null;
  readonly links?: readonly Link[];
}

export type NodeField = keyof Node;

/** `health` values (ironic/common/health_states.py). */
export type NodeHealth = 'OK' | 'Warning' | 'Critical';

/** The body of `POST /v1/nodes`. Unknown keys are a 400, so only these exist. */
export interface NodeCreate {
  readonly driver: string;
  readonly name?: string;
  readonly uuid?: string;
  readonly driver_info?: JsonObject;
  readonly properties?: JsonObject;
  readonly extra?: JsonObject;
  /** Since 1.21. */
  readonly resource_class?: string;
  /** Since 1.46; a conductor of that group must exist, else 400 "No valid host was found". */
  readonly conductor_group?: string;
  /** Since 1.47. */
  readonly automated_clean?: boolean;
  /** Since 1.51. */
  readonly description?: string;
  /** Since 1.82. */
  readonly shard?: string;
  readonly boot_interface?: string;
  readonly deploy_interface?: string;
  readonly management_interface?: string;
  readonly network_interface?: string;
  readonly power_interface?: string;
}

/** A NIC of a node. */
export interface Port {
  readonly uuid: string;
  /** The MAC; Ironic stores it in lower case and matches `?address=` case-insensitively. */
  readonly address: string;
  readonly node_uuid: string;
  readonly pxe_enabled: boolean;
  readonly local_link_connection: JsonObject;
  /** Since 1.34. */
  readonly physical_network: string | null;
  /** Since 1.24. */
  readonly portgroup_uuid: string | null;
  readonly extra: JsonObject;
  readonly created_at: string;
  readonly updated_at: string | null;
  readonly links?: readonly Link[];
}

/** The body of `POST /v1/ports`. */
export interface PortCreate {
  /** A UUID: a node name is a 400 "Expected UUID for node_uuid". */
  readonly node_uuid: string;
  readonly address: string;
  readonly pxe_enabled?: boolean;
  readonly local_link_connection?: JsonObject;
  /** Since 1.34. */
  readonly physical_network?: string;
  readonly extra?: JsonObject;
}

/** A server-side node claim (since 1.52). */
export interface Allocation {
  readonly uuid: string;
  readonly name: string | null;
  readonly state: AllocationState;
  /** The node picked, once `active`. */
  readonly node_uuid: string | null;
  readonly resource_class: string | null;
  readonly traits: readonly string[];
  readonly candidate_nodes: readonly string[];
  /** Why it ended in `error`: "no available nodes match the resource class …", … */
  readonly last_error: string | null;
  readonly extra: JsonObject;
  /** Since 1.60. */
  readonly owner?: string | null;
  readonly created_at: string;
  readonly updated_at: string | null;
  readonly links?: readonly Link[];
}

/** The body of `POST /v1/allocations`. */
export interface AllocationCreate {
  readonly name?: string;
  readonly uuid?: string;
  /** Required unless `node` (backfill) is given. */
  readonly resource_class?: string;
  /** The node must have all of them. */
  readonly traits?: readonly string[];
  /** Names or UUIDs the conductor may pick from. */
  readonly candidate_nodes?: readonly string[];
  readonly extra?: JsonObject;
  /** Backfill an allocation for an already `active` node (since 1.58). */
  readonly node?: string;
  /** Since 1.60. */
  readonly owner?: string;
}

/** One interface's answer in `GET /v1/nodes/{id}/validate`. */
export interface InterfaceValidation {
  /** null when the interface is not enabled for the node. */
  readonly result: boolean | null;
  readonly reason: string | null;
}

/** `GET /v1/nodes/{id}/validate`: per interface (`boot`, `deploy`, `power`, …). */
export type NodeValidation = Readonly<Record<string, InterfaceValidation>>;

/** The JSON config drive (since 1.56); Ironic renders the ISO from it. */
export interface ConfigDriveDict {
  readonly meta_data?: JsonObject;
  readonly network_data?: JsonObject;
  readonly user_data?: JsonObject | readonly unknown[] | string | null;
  readonly vendor_data?: JsonObject;
}
