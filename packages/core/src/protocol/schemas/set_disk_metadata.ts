import { SIGNATURES } from '../signatures.js';
import { cid, metadata, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.set_disk_metadata.versions, tuple([cid, metadata]));
