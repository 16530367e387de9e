// The delegate backend's operator capabilities (BackendModule.operator), loaded only by the operator
// commands: `hybrid-cpi doctor` runs the delegated CPI's info the way the backend runs every call.
import type { BackendOperator } from '@hybrid-cpi/core';
import type { DelegateConfig } from './config.js';
import { checkDelegate } from './operator-doctor.js';

export const delegateOperator: BackendOperator<DelegateConfig> = { doctor: checkDelegate };
