/** What a CID names; each kind's name as messages show it. */
export const CID_KINDS = { vm: 'VM', disk: 'disk', stemcell: 'stemcell', snapshot: 'snapshot', network: 'network' } as const;
export type CidKind = keyof typeof CID_KINDS;

declare const side: unique symbol;
declare const kind: unique symbol;

/**
 * A CID as the director stores it: `<backend>:<native>`, a composite stemcell CID, or a legacy one.
 * Typed by kind: a `ProxyCid<'disk'>` does not pass where a `ProxyCid<'vm'>` belongs; `ProxyCid`
 * alone is one of any kind.
 */
export type ProxyCid<K extends CidKind = CidKind> = string & { readonly [side]: 'proxy'; readonly [kind]: K };
/** A CID as a backend knows it, without our prefix; typed by kind as {@link ProxyCid} is. */
export type NativeCid<K extends CidKind = CidKind> = string & { readonly [side]: 'native'; readonly [kind]: K };
/** The name of a configured backend instance, which is also its CID prefix. */
export type BackendName = string & { readonly __brand: 'BackendName' };

/** The director keeps CIDs in `varchar(255)` columns. */
export const MAX_CID_LENGTH = 255;

/** A backend's CID of this kind: what a backend returns for what it made. */
export function nativeCid<K extends CidKind>(cidKind: K, value: string): NativeCid<K> {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`A native ${CID_KINDS[cidKind]} CID must be a non-empty string`);
  return value as NativeCid<K>;
}
