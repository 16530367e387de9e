import { SIGNATURES } from '../signatures.js';
import { cid, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.get_disks.versions, tuple([cid]));
