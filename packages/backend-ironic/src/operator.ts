// What the operator commands (`hybrid-cpi doctor`, `lifecycle`) use of this package beyond the
// backend module: a deliberate, small surface, so the commands need no deep imports and a CPI
// call never loads any of it.
export { connectIronic, type IronicConnectionConfig } from './ironic/connect.js';
export { compareVersions, discoverVersions, MINIMUM as MINIMUM_MICROVERSION, type VersionRange } from './ironic/microversions.js';
export { isIronicHttpError, type IronicHttpError } from './ironic/errors.js';
export { makeImageStore, type ImageStore } from './image-store/index.js';
export { isNothingWritten } from './image-store/store.js';
export { safeUrl } from './image-store/urls.js';
export type { IronicConfig } from './config.js';
