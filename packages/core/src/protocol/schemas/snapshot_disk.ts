import { SIGNATURES } from '../signatures.js';
import { cid, metadata, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.snapshot_disk.versions, tuple([cid, metadata]));
