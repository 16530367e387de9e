// What the operator commands (`hybrid-cpi validate`, `explain`, `nodes`, `doctor`, `lifecycle`)
// use of this package beyond the backend module: a small, deliberate surface, so the commands
// need no deep imports and a CPI call never loads any of it. The pool view is read-only: the same
// selection rules and bookkeeping as the CPI methods, nothing that claims or changes a node; the
// one change an operator command makes is returning a quarantined node (unquarantineNode).
export type { FailureDomainConfig, IronicConfig } from '../config.js';
export { countInstances, spreadOrder, type DomainCount } from '../placement/spread.js';
export { describeDomains, namedDomain } from '../placement/domains.js';
export { mapLimit } from '../ironic/map-limit.js';
export { openPool, POOL_FIELDS, type NodePool, type PoolNode } from './pool.js';
export { assessNodes, type NodeFit } from './fit.js';
export { agentDiskMisfit, diskMisfit } from './device-fit.js';
export type { Device } from '../disks/devices.js';
export { nodeStatus, type NodeDisk, type NodeStatus, type NodeUse } from './node-status.js';
export { unquarantineNode, type Unquarantined } from './unquarantine.js';
export { requirementsOf, type Minimums, type Requirements } from '../selection/requirements.js';
export type { SelectableNode } from '../selection/rejections.js';
export { enrollParamsOf } from '../node/enroll.js';
export { connectIronic, type IronicConnectionConfig } from '../ironic/connect.js';
export { discoverVersions, type IronicClient } from '../ironic/client.js';
export { compareVersions, MINIMUM as MINIMUM_MICROVERSION, type VersionRange } from '../ironic/microversions.js';
export { isIronicHttpError, type IronicHttpError } from '../ironic/errors.js';
export { makeImageStore, type ImageStore } from '../image-store/index.js';
export { isNothingWritten } from '../image-store/store.js';
export { safeUrl } from '../image-store/urls.js';
