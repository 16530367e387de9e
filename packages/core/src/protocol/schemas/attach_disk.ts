import { SIGNATURES } from '../signatures.js';
import { cid, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.attach_disk.versions, tuple([cid, cid]));
