import { SIGNATURES } from '../signatures.js';
import { cid, object, sameInAll, tuple } from './common.js';

export default sameInAll(SIGNATURES.configure_networks.versions, tuple([cid, object]));
