import { didYouMean, type NodeRef, type NodeRefReason, type Placement, type Secrets } from '@hybrid-cpi/core';
import { TOKENS, resolve, type Resolver } from '../tokens.js';
import { EXIT, type OperatorCommand } from './command.js';
import { chooseAz, loadCloudConfig, vmProperties } from './cloud-config.js';
import { NodeViews, nodeLabel } from './node-views.js';
import { readConfig } from './load-config.js';
import { UsageError, parseOptions } from './options.js';
import { count, runReport } from './report.js';
import { makeRouter } from './routing.js';

const USAGE = `Usage: hybrid-cpi explain --config FILE --cloud-config FILE --vm-type NAME [--az NAME] [--group NAME] [--json]

A dry run of create_vm's node choice for one vm_type: the node it would take and, for every
other node, why not (the reasons create_vm itself gives). create_vm picks at random among the
nodes that fit, so when several do, any of them may be taken. With failure_domain in the
backend's config, the domains of the fitting nodes and the instances of the group in each,
which decide where create_vm looks first. Nothing is claimed or changed.

Options:
  -c, --config FILE        the CPI's config file (JSON or YAML)
      --cloud-config FILE  a BOSH cloud-config (YAML)
      --vm-type NAME       the vm_type to place
      --az NAME            the AZ (its cloud_properties, such as conductor_group, apply);
                           required when the cloud-config has more than one
      --group NAME         the instance group the VM is for, as the director names it in
                           env.bosh.group (<director>-<deployment>-<instance group>)
      --json               the report as one JSON object (docs/operator-commands.md)
  -h, --help               show this help

Exit status: 0 a node fits; 1 none does (or the config, the cloud-config or Ironic is the
problem); 2 usage.
`;

/** What `--json` prints, and what the text is written from. */
export interface ExplainReport {
  readonly config: { readonly file: string; readonly valid: boolean; readonly problems: readonly string[] };
  /** null when the config is invalid (then the cloud-config is not read). */
  readonly cloud_config: null | { readonly file: string; readonly valid: boolean; readonly problems: readonly string[] };
  readonly vm_type: string;
  readonly az: string | null;
  /** Where create_vm routes the vm_type; null when it routes nowhere (see problem). */
  readonly backend: string | null;
  readonly type: string | null;
  /** Why there is no node choice to show: the vm_type routes nowhere, or Ironic failed. */
  readonly problem: string | null;
  /** What the vm_type asks of a node, in one line (Ironic backends). */
  readonly requires: string | null;
  /** create_vm enrolls a new node from ironic_params (Ironic knows none of its MACs). */
  readonly enrolls: boolean;
  readonly would_take: NodeRef | null;
  /** Other nodes that fit: create_vm picks one of the fitting nodes at random. */
  readonly also_fit: readonly NodeRef[];
  /** Every other node, with the reason create_vm gives. */
  readonly not_taken: readonly NodeRefReason[];
  /** With `failure_domain`: the fitting nodes' domains in the order create_vm tries them, and what it counted. */
  readonly placement: Placement | null;
  /** Exit 0: a node fits, a node is enrolled, or another backend chooses for itself. */
  readonly fits: boolean;
}

export const explain: OperatorCommand = {
  name: 'explain',
  usage: USAGE,
  run: (argv, io, container) =>
    runReport('explain', io, container, async (io, secrets) => {
      const options = parseOptions(
        argv,
        {
          config: { type: 'string', short: 'c' },
          'cloud-config': { type: 'string' },
          'vm-type': { type: 'string' },
          az: { type: 'string' },
          group: { type: 'string' },
          json: { type: 'boolean' },
        },
        ['config', 'cloud-config', 'vm-type'],
      );
      const vmType = { name: options['vm-type']!, az: options.az, group: options.group };
      const report = await explainVmType(options.config!, options['cloud-config']!, vmType, secrets, container);
      io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderExplain(report));
      return report.fits ? EXIT.ok : EXIT.findings;
    }),
};

async function explainVmType(
  configFile: string,
  cloudFile: string,
  { name: vmTypeName, az: azName, group }: { readonly name: string; readonly az: string | undefined; readonly group: string | undefined },
  secrets: Secrets,
  container: Resolver,
): Promise<ExplainReport> {
  const loaded = await readConfig(configFile, container);
  const none = {
    vm_type: vmTypeName,
    az: azName ?? null,
    backend: null,
    type: null,
    problem: null,
    requires: null,
    enrolls: false,
    would_take: null,
    also_fit: [],
    not_taken: [],
    placement: null,
    fits: false,
  };
  const config = { file: configFile, valid: loaded.config !== undefined, problems: loaded.problems ?? [] };
  if (loaded.config === undefined) return { config, cloud_config: null, ...none };
  const read = await loadCloudConfig(cloudFile, secrets);
  if ('problems' in read) return { config, cloud_config: { file: cloudFile, valid: false, problems: read.problems }, ...none };
  const { cloud } = read;
  const vmType = cloud.vm_types.find((t) => t.name === vmTypeName);
  const names = cloud.vm_types.map((t) => t.name);
  if (vmType === undefined)
    throw new UsageError(`the cloud-config has no vm_type '${vmTypeName}' (it has ${names.join(', ') || 'none'})${didYouMean(vmTypeName, names)}`);
  const chosen = chooseAz(cloud, azName);
  if ('error' in chosen) throw new UsageError(chosen.error);

  const props = vmProperties(vmType, chosen.az);
  const base = { config, cloud_config: { file: cloudFile, valid: true, problems: [] }, ...none, az: chosen.az?.name ?? null };
  const routed = makeRouter(loaded.config)(props, `vm_type '${vmType.name}'`);
  if (routed.error !== undefined) return { ...base, problem: routed.error };
  const to = { ...base, backend: routed.backend, type: routed.type };
  const views = await NodeViews.open(loaded.config, resolve(container, TOKENS.seams));
  try {
    // A backend without a node view chooses for itself.
    const view = views.get(routed.backend);
    if (view === undefined) return { ...to, fits: true };
    const choice = await view.choose(props, group);
    if ('error' in choice) return { ...to, problem: choice.error };
    const { requires, enrolls, wouldTake } = choice;
    if (enrolls) return { ...to, requires, enrolls, fits: true };
    const placement = choice.placement ?? null;
    return { ...to, requires, would_take: wouldTake, also_fit: choice.alsoFit, not_taken: choice.notTaken, placement, fits: wouldTake !== null };
  } finally {
    await views.close();
  }
}

/** The report as text: the same data as --json, for a person. */
export function renderExplain(r: ExplainReport): string {
  if (!r.config.valid) return `config ${r.config.file}: invalid\n${r.config.problems.map((p) => `  ${p}\n`).join('')}`;
  if (r.cloud_config !== null && !r.cloud_config.valid)
    return `cloud-config ${r.cloud_config.file}: invalid\n${r.cloud_config.problems.map((p) => `  ${p}\n`).join('')}`;
  const where = `vm_type ${r.vm_type}${r.az === null ? '' : ` in AZ ${r.az}`}`;
  if (r.backend === null) return `${where}: routes nowhere: ${r.problem}\n`;
  const lines = [`${where} -> backend ${r.backend} (${r.type})`];
  // Neither a node choice nor why there is none: the backend has no node view.
  if (r.requires === null && r.problem === null) lines.push(`Node choice is made by the Ironic backends only; backend ${r.backend} chooses for itself.`);
  else if (r.problem !== null) lines.push(r.problem);
  else {
    lines.push(`requires: ${r.requires}`);
    if (r.enrolls) lines.push('would take: a new node, enrolled from ironic_params (Ironic knows none of its MACs)');
    else {
      if (r.placement !== null) lines.push(...renderPlacement(r.placement));
      lines.push(
        r.would_take === null
          ? 'would take: nothing, no free node fits (create_vm would fail with VMCreationFailed)'
          : `would take: ${nodeLabel(r.would_take)}`,
      );
      if (r.also_fit.length > 0)
        lines.push(
          `also fit (create_vm picks one of the ${count(r.also_fit.length + 1, 'fitting node')} at random):`,
          ...r.also_fit.map((n) => `  ${nodeLabel(n)}`),
        );
      if (r.not_taken.length > 0) lines.push('not taken:', ...r.not_taken.map((n) => `  ${nodeLabel(n)}: ${n.reason}`));
      if (r.would_take === null && r.also_fit.length === 0 && r.not_taken.length === 0) lines.push('Ironic has no nodes at all');
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The failure domains in create_vm's order: the one with the fewest instances of the group is
 * tried first; of domains with as many, create_vm takes one at random.
 */
function renderPlacement(p: Placement): string[] {
  const fewest = p.domains[0]?.instances;
  const first = p.domains.filter((d) => d.instances === fewest).length;
  const mark = first > 1 ? ' <- tried first (one of these at random)' : ' <- tried first';
  const lines = [
    `failure domains (${p.source}) of the fitting nodes, by ${p.group === null ? 'name (no --group: no instances counted)' : `instances of group ${p.group}`}:`,
    ...p.domains.map(
      (d) => `  ${d.domain}: ${count(d.instances, 'instance')} of the group, ${count(d.fitting, 'fitting node')}${d.instances === fewest ? mark : ''}`,
    ),
  ];
  if (p.unnamed > 0) lines.push(`  no domain: ${count(p.unnamed, 'fitting node')}, tried last`);
  return lines;
}
