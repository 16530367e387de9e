import { SIGNATURES } from '../signatures.js';
import { cid, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.delete_snapshot.versions, tuple([cid]));
