// What the operator commands (`hybrid-cpi doctor`) use of this package beyond the backend module:
// a deliberate, small surface, loaded only by those commands.
export { configuredApiVersion, probeInfo, type InfoAnswer } from './info-probe.js';
export type { DelegateConfig } from './config.js';
