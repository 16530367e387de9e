import { SIGNATURES } from '../signatures.js';
import { cid, nullable, object, positiveInteger, sameInAll, tuple } from './common.js';

/** `vm_cid` is a placement hint and may be null (bosh-cpi-go allows it). */
export default sameInAll(SIGNATURES.create_disk.versions, tuple([positiveInteger, object, nullable(cid)]));
