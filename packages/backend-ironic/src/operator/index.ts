// The Ironic backend's operator capabilities (BackendModule.operator), loaded only by the operator
// commands (`hybrid-cpi doctor`, `validate`, `explain`, `nodes`): a CPI call never loads any of it.
// The node view is read-only, the same selection rules and bookkeeping as the CPI methods and
// nothing that claims or changes a node, but for returning a quarantined node (unquarantine.ts).
import type { BackendOperator } from '@hybrid-cpi/core';
import type { IronicConfig } from '../config.js';
import { IronicNodeView } from './node-view.js';

export const ironicOperator: BackendOperator<IronicConfig> = {
  doctor: async (config, ctx) => {
    const [{ checkIronic }, { checkImageStore }] = await Promise.all([import('./doctor-ironic.js'), import('./doctor-image-store.js')]);
    // What Ironic offers tells whether it can fetch images with credentials.
    await checkImageStore(config, ctx, await checkIronic(config, ctx));
  },
  nodeView: (config, ctx) => new IronicNodeView(config, ctx),
};
