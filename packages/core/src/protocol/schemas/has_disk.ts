import { SIGNATURES } from '../signatures.js';
import { cid, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.has_disk.versions, tuple([cid]));
