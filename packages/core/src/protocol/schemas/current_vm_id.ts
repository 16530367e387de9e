import { SIGNATURES } from '../signatures.js';
import { sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.current_vm_id.versions, tuple([]));
