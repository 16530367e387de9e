import type { JsonObject } from '../ironic/types.js';

/** `extra` key of a node's failed deploys since its last good one, kept in Ironic for every client to see. */
export const FAILURES_KEY = 'bosh_failures';

/** One failed deploy. */
export interface FailureEntry {
  /** ISO 8601, UTC. */
  readonly at: string;
  /** Where it failed: the provision state it left (`deploying`, `wait call-back`) or `deploy request`. */
  readonly step: string;
  /** The node's `last_error`, or what the CPI saw. */
  readonly last_error: string;
  /** The VM CID the deploy was for. */
  readonly vm: string;
}

/** What `extra.bosh_failures` holds. */
export interface FailureRecord {
  /** Failed deploys in a row; a good deploy removes the record. */
  readonly count: number;
  /** The latest few, oldest first. */
  readonly recent: readonly FailureEntry[];
  /** When the CPI took the node out of the pools (retired, or maintenance on an older Ironic). */
  readonly quarantined_at?: string;
}

const KEEP = 5;

/** Marks a `retired_reason` or `maintenance_reason` the CPI wrote. */
export const QUARANTINE_PREFIX = 'hybrid-cpi quarantine:';

export function failuresOf(node: { readonly extra?: Readonly<JsonObject> | undefined }): FailureRecord | undefined {
  const record = node.extra?.[FAILURES_KEY] as Partial<FailureRecord> | null | undefined;
  if (typeof record !== 'object' || record === null || typeof record.count !== 'number') return undefined;
  return {
    count: record.count,
    recent: Array.isArray(record.recent) ? record.recent : [],
    ...(typeof record.quarantined_at === 'string' ? { quarantined_at: record.quarantined_at } : {}),
  };
}

/** The record with one more failure. */
export function withFailure(record: FailureRecord | undefined, entry: FailureEntry): FailureRecord {
  return { count: (record?.count ?? 0) + 1, recent: [...(record?.recent ?? []), entry].slice(-KEEP) };
}

/** "2 failed deploys in a row, the last at 2026-…Z in wait call-back: <last_error>" */
export function describeFailures(record: FailureRecord): string {
  const last = record.recent.at(-1);
  const count = `${record.count} failed deploy${record.count === 1 ? '' : 's'}${record.count > 1 ? ' in a row' : ''}`;
  return last === undefined ? count : `${count}, the last at ${last.at} in ${last.step}: ${last.last_error}`;
}

/** The reason Ironic shows (`retired_reason`, `maintenance_reason`): marked as ours, and short. */
export function quarantineReason(record: FailureRecord): string {
  const text = `${QUARANTINE_PREFIX} ${describeFailures(record)}`;
  return text.length > 255 ? `${text.slice(0, 254)}…` : text;
}

/** Why and since when the CPI quarantined this node; undefined when it did not. */
export function quarantineOf(node: { readonly extra?: Readonly<JsonObject> | undefined }): string | undefined {
  const record = failuresOf(node);
  if (record?.quarantined_at === undefined) return undefined;
  return `quarantined by the CPI since ${record.quarantined_at} after ${describeFailures(record)}`;
}
