import { CpiError } from '../errors/index.js';
import { MAX_CID_LENGTH, type BackendName, type NativeCid, type ProxyCid } from './types.js';

/** What the codec needs to know of the config. */
export interface CidScope {
  readonly backends: ReadonlySet<string>;
  readonly legacyBackend?: BackendName | undefined;
}

export interface DecodedCid {
  readonly backend: BackendName;
  readonly native: NativeCid;
}

/** Prefixes a backend's CID. The only place a `ProxyCid` is made from a native one. */
export function encodeCid(backend: BackendName, native: NativeCid): ProxyCid {
  return checkLength(`${backend}:${native}`, backend);
}

/**
 * Finds the backend of a CID: the part before the first `:` when it names a configured backend,
 * else the whole CID belongs to `legacy_backend` (CIDs made before the proxy, which may contain
 * `:` themselves, as Azure's do).
 */
export function decodeCid(cid: string, scope: CidScope, what = 'CID'): DecodedCid {
  const colon = cid.indexOf(':');
  if (colon > 0) {
    const prefix = cid.slice(0, colon);
    const rest = cid.slice(colon + 1);
    if (scope.backends.has(prefix) && rest.length > 0) return { backend: prefix as BackendName, native: rest as NativeCid };
  }
  if (scope.legacyBackend !== undefined) return { backend: scope.legacyBackend, native: cid as NativeCid };
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
export function encodeStemcellCid(parts: ReadonlyMap<BackendName, NativeCid>): ProxyCid {
  const [only, ...others] = parts;
  if (only !== undefined && others.length === 0) return encodeCid(...only);
  return checkLength(JSON.stringify(Object.fromEntries(parts)), [...parts.keys()].join(', '));
}

export function decodeStemcellCid(cid: string, scope: CidScope): Map<BackendName, NativeCid> {
  if (cid.startsWith('{')) {
    const parts = parseComposite(cid, scope);
    if (parts !== undefined) return parts;
  }
  const { backend, native } = decodeCid(cid, scope, 'stemcell CID');
  return new Map([[backend, native]]);
}

function parseComposite(cid: string, scope: CidScope): Map<BackendName, NativeCid> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cid);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  const parts = new Map<BackendName, NativeCid>();
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
    parts.set(backend as BackendName, native as NativeCid);
  }
  return parts;
}

function checkLength(cid: string, backend: string): ProxyCid {
  if (cid.length > MAX_CID_LENGTH) {
    throw new CpiError(
      'CPX_CID_TOO_LONG',
      `Wrapping a CID of backend ${backend}: the result has ${cid.length} characters, more than the director's limit of ${MAX_CID_LENGTH} ` +
        `('${cid.slice(0, 60)}…')`,
    );
  }
  return cid as ProxyCid;
}
