import { CpiError } from '@hybrid-cpi/core';

/** An Ironic API microversion, `"1.NN"`. */
export type Microversion = `1.${number}`;

/** `conductor_group` on nodes and as a list filter. */
export const CONDUCTOR_GROUP = '1.46' satisfies Microversion;
/** Per-node `automated_clean` (true forces cleaning, false skips it, null follows the config). */
export const AUTOMATED_CLEAN = '1.47' satisfies Microversion;
/** The allocation API and the node's `allocation_uuid`. */
export const ALLOCATIONS = '1.52' satisfies Microversion;
/** A JSON object as `configdrive` on deploy/rebuild (older versions answer 400). */
export const CONFIGDRIVE_DICT = '1.56' satisfies Microversion;
/** Allocation backfill: `POST /v1/allocations {"node": …}` for an already deployed node. */
export const ALLOCATION_BACKFILL = '1.58' satisfies Microversion;
/** `owner` on allocations. */
export const ALLOCATION_OWNER = '1.60' satisfies Microversion;
/** `retired` and `retired_reason` on nodes: a retired node ends in `manageable` after cleaning and cannot be provided. */
export const RETIRED = '1.61' satisfies Microversion;
/** `GET /v1/nodes/{id}/inventory`: the inspection data Ironic keeps for a node. */
export const INVENTORY = '1.81' satisfies Microversion;
/** Shards: the node's `shard`, the `shard` filter of node and port lists, `GET /v1/shards` (Ironic 21.4, OpenStack 2023.1). */
export const SHARDS = '1.82' satisfies Microversion;
/** The `deploy`/`undeploy` provision verbs (aliases of `active`/`deleted`; 1.72 answers 406). */
export const DEPLOY_VERB = '1.73' satisfies Microversion;
/** The node's hardware `health` (`OK`, `Warning`, `Critical` or null), from the BMC (Ironic 34.0). */
export const HEALTH = '1.109' satisfies Microversion;
/** `abort` of a deploy in `wait call-back`: to `deploy failed`, without cleaning (Ironic 35.0). */
export const DEPLOY_ABORT = '1.110' satisfies Microversion;
/** The oldest server the CPI works with: it claims nodes through allocations. */
export const MINIMUM = ALLOCATIONS;
/**
 * What the client sends unless a call needs more. Every node field the CPI needs exists at 1.52,
 * so the wire shape is the same on every supported server; calls that need a newer feature
 * (a JSON config drive, the deploy verb, retirement, hardware health, abort in `wait call-back`)
 * raise the header for themselves, where the server offers it (`IronicClient.supports`).
 */
export const DEFAULT = MINIMUM;

/** The range a server offers. */
export interface VersionRange {
  readonly min: Microversion;
  readonly max: Microversion;
}

/** Orders `"1.9"` before `"1.52"` (numeric, not lexical). */
export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export function maxVersion(a: Microversion, b: Microversion): Microversion {
  return compareVersions(a, b) >= 0 ? a : b;
}

export function isMicroversion(value: unknown): value is Microversion {
  return typeof value === 'string' && /^1\.\d+$/.test(value);
}

/**
 * Throws a clear error when the server is older than `needed`. The default names the floor of
 * the CPI: {@link MINIMUM}, the allocation API (OpenStack Stein, Ironic 12.1).
 */
export function requireVersion(
  range: VersionRange,
  endpoint: string,
  needed: { readonly version: Microversion; readonly feature: string } = { version: MINIMUM, feature: 'the allocation API' },
): void {
  if (compareVersions(range.max, needed.version) < 0) {
    throw new CpiError(
      'CPX_BACKEND_FAILURE',
      `Checking the API version of Ironic at ${endpoint}: it offers ${range.min} to ${range.max}, but the CPI needs at least ${needed.version} ` +
        `(${needed.feature})`,
    );
  }
}
