import { SIGNATURES } from '../signatures.js';
import { cid, positiveInteger, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.resize_disk.versions, tuple([cid, positiveInteger]));
