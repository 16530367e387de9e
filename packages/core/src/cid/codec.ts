import { CpiError } from '../errors/index.js';
import { MAX_CID_LENGTH, type BackendName, type CidKind, type NativeCid, type ProxyCid } from './types.js';

/** What the codec needs to know of the config. */
export interface CidScope {
  readonly backends: ReadonlySet<string>;
  readonly legacyBackend?: BackendName | undefined;
}

export interface DecodedCid<K extends CidKind = CidKind> {
  readonly backend: BackendName;
  readonly native: NativeCid<K>;
}

/** Prefixes a backend's CID. The only place a `ProxyCid` is made from a native one. */
export function encodeCid<K extends CidKind>(backend: BackendName, native: NativeCid<K>): ProxyCid<K> {
  return checkLength<K>(`${backend}:${native}`, backend);
}

/**
 * Finds the backend of a CID: the part before the first `:` when it names a configured backend,
 * else the whole CID belongs to `legacy_backend` (CIDs made before the proxy, which may contain
 * `:` themselves, as Azure's do).
 */
export function decodeCid<K extends CidKind = CidKind>(cid: string, scope: CidScope, what = 'CID'): DecodedCid<K> {
  const colon = cid.indexOf(':');
  if (colon > 0) {
    const prefix = cid.slice(0, colon);
    const rest = cid.slice(colon + 1);
    if (scope.backends.has(prefix) && rest.length > 0) return { backend: prefix as BackendName, native: rest as NativeCid<K> };
  }
  if (scope.legacyBackend !== undefined) return { backend: scope.legacyBackend, native: cid as NativeCid<K> };
  const known = [...scope.backends].map((b) => `'${b}:'`).join(', ');
  throw new CpiError(
    'CPX_CID_UNKNOWN_BACKEND',
    `Routing ${what} '${cid}': it does not start with a configured backend prefix (${known}) and no legacy_backend is configured to own unprefixed CIDs`,
  );
}

/**
 * A stemcell uploaded to several backends gets one CID holding each backend's part, written as a
 * compact JSON object (`{"metal":"…","vms":"…"}`): self-escaping, readable in `bosh stemcells`, and
 * never confused with a prefixed CID because backend names cannot start with `{`.
 */
export function encodeStemcellCid(parts: ReadonlyMap<BackendName, NativeCid<'stemcell'>>): ProxyCid<'stemcell'> {
  const [only, ...others] = parts;
  if (only !== undefined && others.length === 0) return encodeCid(...only);
  return checkLength<'stemcell'>(JSON.stringify(Object.fromEntries(parts)), [...parts.keys()].join(', '));
}

export function decodeStemcellCid(cid: string, scope: CidScope): Map<BackendName, NativeCid<'stemcell'>> {
  if (cid.startsWith('{')) {
    const parts = parseComposite(cid, scope);
    if (parts !== undefined) return parts;
  }
  const { backend, native } = decodeCid<'stemcell'>(cid, scope, 'stemcell CID');
  return new Map([[backend, native]]);
}

function parseComposite(cid: string, scope: CidScope): Map<BackendName, NativeCid<'stemcell'>> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cid);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  const parts = new Map<BackendName, NativeCid<'stemcell'>>();
  for (const [backend, native] of entries) {
    if (typeof native !== 'string' || native.length === 0) {
      throw new CpiError('CPX_CID_MALFORMED', `Decoding composite stemcell CID '${cid}': the part for '${backend}' is not a non-empty string`);
    }
    if (!scope.backends.has(backend)) {
      throw new CpiError(
        'CPX_CID_UNKNOWN_BACKEND',
        `Decoding composite stemcell CID '${cid}': it holds a part for backend '${backend}', which is not configured`,
      );
    }
    parts.set(backend as BackendName, native as NativeCid<'stemcell'>);
  }
  return parts;
}

function checkLength<K extends CidKind>(cid: string, backend: string): ProxyCid<K> {
  if (cid.length > MAX_CID_LENGTH) {
    throw new CpiError(
      'CPX_CID_TOO_LONG',
      `Wrapping a CID of backend ${backend}: the result has ${cid.length} characters, more than the director's limit of ${MAX_CID_LENGTH} ` +
        `('${cid.slice(0, 60)}…')`,
    );
  }
  return cid as ProxyCid<K>;
}
