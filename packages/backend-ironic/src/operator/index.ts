// The read-only view of the Ironic backend for the operator commands (`hybrid-cpi validate`,
// `explain`, `nodes`): the same selection rules and bookkeeping as the CPI methods, nothing that
// claims or changes a node.
export type { IronicConfig } from '../config.js';
export { openPool, POOL_FIELDS, type NodePool, type PoolNode } from './pool.js';
export { assessNodes, type NodeFit } from './fit.js';
export { nodeStatus, type NodeDisk, type NodeStatus, type NodeUse } from './node-status.js';
export { requirementsOf, type Minimums, type Requirements } from '../selection/requirements.js';
export type { SelectableNode } from '../selection/rejections.js';
export { enrollParamsOf } from '../enroll.js';
