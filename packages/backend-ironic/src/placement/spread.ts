import type { FailureDomainConfig, IronicContext } from '../config.js';
import { listNodes } from '../ironic/nodes.js';
import type { SelectableNode } from '../selection/rejections.js';
import { mapLimit } from '../ironic/map-limit.js';
import { vmRecord } from '../node/vm-node.js';
import { inShard } from '../selection/shard.js';
import { describeDomains, lldpSwitch, namedDomain, type DomainNode } from './domains.js';

/** Inventories read per create_vm for LLDP switches: a bound, so a large pool costs no more requests. */
export const LLDP_LOOKUPS = 8;
const LLDP_CONCURRENCY = 4;

/** One failure domain among the candidates, and what the choice weighed. */
export interface DomainCount {
  readonly domain: string;
  /** The instance group's nodes in the domain (claimed, carrying a VM of the group). */
  readonly instances: number;
  /** Free nodes that fit, in the domain. */
  readonly candidates: number;
}

/** A create_vm's choice of failure domain and the counts it was made on (logged, and shown by `explain`). */
export interface DomainChoice {
  /** What names the domains (`node property rack`). */
  readonly source: string;
  readonly group: string | undefined;
  /** The candidates' domains in the order they are tried: fewest instances of the group first, ties in random order. */
  readonly domains: readonly DomainCount[];
  /** Candidates in no named domain: tried after every domain. */
  readonly unnamed: number;
}

/** Candidates in the order to try them, domain by domain, with the decision. */
export interface Spread<N> {
  readonly order: readonly (readonly N[])[];
  readonly domainOf: ReadonlyMap<string, string>;
  readonly placement: DomainChoice;
}

/**
 * The instances of `group` in each domain: the nodes whose VM record names the group, in the
 * domain their property or trait names now, else the one recorded when they were deployed (an
 * LLDP switch).
 */
export function countInstances(
  nodes: readonly (DomainNode & { readonly extra?: Readonly<Record<string, unknown>> })[],
  group: string,
  config: FailureDomainConfig,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of nodes) {
    const record = vmRecord({ extra: node.extra ?? {} });
    if (record?.group !== group) continue;
    const domain = namedDomain(config, node) ?? record.domain;
    if (domain !== undefined) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return counts;
}

/**
 * Orders candidates by failure domain: the domain with the fewest instances of the group first,
 * domains with as many in random order (concurrent create_vm calls of one group spread rather
 * than collide), candidates in no named domain last. Each domain keeps the order it was given.
 */
export function spreadOrder<N extends { readonly uuid: string }>(
  candidates: readonly N[],
  domainOf: ReadonlyMap<string, string>,
  instances: ReadonlyMap<string, number>,
  random: () => number = Math.random,
): { order: N[][]; domains: DomainCount[]; unnamed: number } {
  const byDomain = new Map<string, N[]>();
  const unnamed: N[] = [];
  for (const node of candidates) {
    const domain = domainOf.get(node.uuid);
    if (domain === undefined) unnamed.push(node);
    else if (byDomain.has(domain)) byDomain.get(domain)!.push(node);
    else byDomain.set(domain, [node]);
  }
  const ranked = [...byDomain.keys()].map((domain) => ({ domain, instances: instances.get(domain) ?? 0, tie: random() }));
  ranked.sort((a, b) => a.instances - b.instances || a.tie - b.tie);
  return {
    order: [...ranked.map((d) => byDomain.get(d.domain)!), ...(unnamed.length > 0 ? [unnamed] : [])],
    domains: ranked.map((d) => ({ domain: d.domain, instances: d.instances, candidates: byDomain.get(d.domain)!.length })),
    unnamed: unnamed.length,
  };
}

/**
 * How create_vm spreads the candidates of a VM of `group` (undefined: spread nothing, as without
 * `failure_domain`): each candidate's domain (its property or trait; the LLDP switch of at most
 * {@link LLDP_LOOKUPS} others, one inventory each), and the group's instances per domain from one
 * listing of the claimed nodes in the AZ's conductor group. The requests do not grow with the pool.
 */
export async function spreadCandidates<N extends SelectableNode>(
  ctx: IronicContext,
  candidates: readonly N[],
  scope: { readonly group: string | undefined; readonly conductorGroup: string | undefined; readonly cid: string },
  signal: AbortSignal,
): Promise<Spread<N> | undefined> {
  const config = ctx.config.failure_domain;
  if (config === undefined) return undefined;
  const domainOf = new Map<string, string>();
  for (const node of candidates) {
    const domain = namedDomain(config, node);
    if (domain !== undefined) domainOf.set(node.uuid, domain);
  }
  if (config.lldp) {
    const unknown = candidates.filter((n) => !domainOf.has(n.uuid)).slice(0, LLDP_LOOKUPS);
    await mapLimit(unknown, LLDP_CONCURRENCY, async ({ uuid }) => {
      const found = await lldpSwitch(ctx, uuid, signal);
      if (found !== undefined) domainOf.set(uuid, found);
    });
  }
  const instances = scope.group === undefined ? new Map<string, number>() : await groupInstances(ctx, config, { ...scope, group: scope.group }, signal);
  const { order, domains, unnamed } = spreadOrder(candidates, domainOf, instances);
  return { order, domainOf, placement: { source: describeDomains(config), group: scope.group, domains, unnamed } };
}

async function groupInstances(
  ctx: IronicContext,
  config: FailureDomainConfig,
  scope: { readonly group: string; readonly conductorGroup: string | undefined; readonly cid: string },
  signal: AbortSignal,
): Promise<Map<string, number>> {
  const claimed: SelectableNode[] = [];
  const filters = {
    associated: true,
    ...(scope.conductorGroup === undefined ? {} : { conductor_group: scope.conductorGroup }),
    ...inShard(ctx.config),
    fields: ['uuid', 'properties', 'traits', 'extra'] as const,
    limit: 1000,
  };
  const doing = `Counting the instances of group ${scope.group} per failure domain for VM ${scope.cid}`;
  for await (const page of listNodes(ctx.client, filters, { doing, signal })) claimed.push(...page);
  return countInstances(claimed, scope.group, config);
}
