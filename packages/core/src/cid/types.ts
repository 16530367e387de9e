/** A CID as the director stores it: `<backend>:<native>`, a composite stemcell CID, or a legacy one. */
export type ProxyCid = string & { readonly __brand: 'ProxyCid' };
/** A CID as a backend knows it, without our prefix. */
export type NativeCid = string & { readonly __brand: 'NativeCid' };
/** The name of a configured backend instance, which is also its CID prefix. */
export type BackendName = string & { readonly __brand: 'BackendName' };

/** The director keeps CIDs in `varchar(255)` columns. */
export const MAX_CID_LENGTH = 255;

export function nativeCid(value: string): NativeCid {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError('A native CID must be a non-empty string');
  return value as NativeCid;
}
