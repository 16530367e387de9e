export { CID_KINDS, MAX_CID_LENGTH, nativeCid, type BackendName, type CidKind, type NativeCid, type ProxyCid } from './types.js';
export { decodeCid, decodeStemcellCid, encodeCid, encodeStemcellCid, type CidScope, type DecodedCid } from './codec.js';
