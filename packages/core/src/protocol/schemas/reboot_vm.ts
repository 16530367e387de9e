import { SIGNATURES } from '../signatures.js';
import { cid, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.reboot_vm.versions, tuple([cid]));
