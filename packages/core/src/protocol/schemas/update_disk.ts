import { SIGNATURES } from '../signatures.js';
import { cid, object, positiveInteger, sameInAll, tuple } from './common.js';

/** Only from API v2 on, as in bosh-cpi-go. */
export default sameInAll(SIGNATURES.update_disk.versions, tuple([cid, positiveInteger, object]));
