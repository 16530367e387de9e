import type { DeviceNeed, HybridConfig, Secrets, TypeFit } from '@hybrid-cpi/core';
import { TOKENS, resolve, type Resolver } from '../tokens.js';
import { EXIT, type OperatorCommand } from './command.js';
import { loadCloudConfig, vmProperties, type CloudConfig, type Named, type Properties } from './cloud-config.js';
import { NodeViews, nodeLabel } from './node-views.js';
import { readConfig } from './load-config.js';
import { parseOptions } from './options.js';
import { count, runReport } from './report.js';
import { makeRouter } from './routing.js';

const USAGE = `Usage: hybrid-cpi validate --config FILE [--cloud-config FILE] [--json]

Checks the config file and, with a cloud-config, where each vm_type and disk_type goes: the
backend the CPI routes it to (cloud_properties.backend, else default_backend; a vm_type once in
each AZ, whose cloud_properties the director merges under the vm_type's) and, for an Ironic
backend, how many nodes could take it and how many are free now, and whether they can serve
it: a disk_type's device hint and size as create_disk judges them, a vm_type's system and
ephemeral disks and a claim create_vm can make. A dry run: it lists nodes, ports and devices,
and never claims or changes anything.

Options:
  -c, --config FILE        the CPI's config file (JSON or YAML)
      --cloud-config FILE  a BOSH cloud-config (YAML): azs, vm_types, disk_types, ...
      --json               the report as one JSON object (docs/operator-commands.md)
  -h, --help               show this help

Exit status: 0 no findings; 1 findings (an invalid config or cloud-config, a type no backend
takes, an Ironic type no node can ever satisfy or serve, an Ironic that cannot be reached);
2 usage.
`;

/** The most nodes listed under a finding; the rest are counted. */
const SHOWN = 10;

/** Where one vm_type (in one AZ) or disk_type goes, and whether that is a finding. */
export interface TypeCheck {
  readonly name: string;
  readonly az: string | null;
  /** The backend create_vm (or create_disk without a VM) routes it to; null when it routes nowhere. */
  readonly backend: string | null;
  readonly type: string | null;
  readonly finding: boolean;
  /** Why it cannot be placed: it routes nowhere, its cloud_properties are refused, Ironic failed. */
  readonly problem: string | null;
  /** Why its nodes were not looked at (not a finding of its own). */
  readonly unchecked: string | null;
  /** Backends with a node view (Ironic): the nodes that can take it. */
  readonly nodes: null | TypeFit;
}

/** The whole report: what `--json` prints, and what the text is written from. */
export interface ValidateReport {
  readonly config: {
    readonly file: string;
    readonly valid: boolean;
    readonly problems: readonly string[];
    readonly backends: readonly { readonly name: string; readonly type: string }[];
    readonly default_backend: string | null;
  };
  /** null without --cloud-config. */
  readonly cloud_config: null | {
    readonly file: string;
    /** false when the config is invalid: then the cloud-config is not read. */
    readonly checked: boolean;
    readonly valid: boolean;
    readonly problems: readonly string[];
  };
  /** Each backend with a node view (the Ironic ones): how many nodes it has, or why they cannot be listed. */
  readonly ironic: readonly { readonly backend: string; readonly nodes: number | null; readonly error: string | null }[];
  readonly vm_types: readonly TypeCheck[];
  readonly disk_types: readonly TypeCheck[];
  readonly findings: number;
}

export const validate: OperatorCommand = {
  name: 'validate',
  usage: USAGE,
  run: (argv, io, container) =>
    runReport('validate', io, container, async (io, secrets) => {
      const options = parseOptions(argv, { config: { type: 'string', short: 'c' }, 'cloud-config': { type: 'string' }, json: { type: 'boolean' } }, ['config']);
      const report = await check(options.config!, options['cloud-config'], secrets, container);
      io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderValidate(report));
      return report.findings === 0 ? EXIT.ok : EXIT.findings;
    }),
};

async function check(configFile: string, cloudFile: string | undefined, secrets: Secrets, container: Resolver): Promise<ValidateReport> {
  const loaded = await readConfig(configFile, container);
  const config = loaded.config;
  const configPart = {
    file: configFile,
    valid: config !== undefined,
    problems: loaded.problems ?? [],
    backends: config === undefined ? [] : [...config.backends.values()].map((b) => ({ name: b.name, type: b.config.type })),
    default_backend: config?.defaultBackend ?? null,
  };
  const empty = { ironic: [], vm_types: [], disk_types: [] };
  if (config === undefined || cloudFile === undefined) {
    const cloud = cloudFile === undefined ? null : { file: cloudFile, checked: false, valid: false, problems: [] };
    return { config: configPart, cloud_config: cloud, ...empty, findings: configPart.problems.length };
  }
  const read = await loadCloudConfig(cloudFile, secrets);
  if ('problems' in read)
    return {
      config: configPart,
      cloud_config: { file: cloudFile, checked: true, valid: false, problems: read.problems },
      ...empty,
      findings: read.problems.length,
    };
  const views = await NodeViews.open(config, resolve(container, TOKENS.seams));
  try {
    const types = await checkTypes(config, read.cloud, views);
    const findings = types.ironic.filter((i) => i.error !== null).length + [...types.vm_types, ...types.disk_types].filter((t) => t.finding).length;
    return { config: configPart, cloud_config: { file: cloudFile, checked: true, valid: true, problems: [] }, ...types, findings };
  } finally {
    await views.close();
  }
}

async function checkTypes(config: HybridConfig, cloud: CloudConfig, views: NodeViews): Promise<Pick<ValidateReport, 'ironic' | 'vm_types' | 'disk_types'>> {
  const route = makeRouter(config);
  const ironic: { backend: string; nodes: number | null; error: string | null }[] = [];
  for (const name of views.names()) {
    const listing = await views.get(name)!.count();
    ironic.push('error' in listing ? { backend: name, nodes: null, error: listing.error } : { backend: name, nodes: listing.count, error: null });
  }
  const reachable = new Set(ironic.filter((i) => i.error === null).map((i) => i.backend));

  const judge = async (name: string, az: string | null, props: Properties, what: string, need: DeviceNeed): Promise<TypeCheck> => {
    const base = { name, az, backend: null, type: null, finding: false, problem: null, unchecked: null, nodes: null };
    const routed = route(props, what);
    if (routed.error !== undefined) return { ...base, finding: true, problem: routed.error };
    const to = { ...base, backend: routed.backend, type: routed.type };
    const view = views.get(routed.backend);
    if (view === undefined) return to;
    if (!reachable.has(routed.backend)) return { ...to, unchecked: 'Ironic unreachable, see above' };
    const nodes = await view.fit(props, need);
    if ('error' in nodes) return { ...to, finding: true, problem: nodes.error };
    // A disk needs one node that can hold it; a VM may land on any matching node, so each must serve it.
    const finding = !nodes.enrolls && (nodes.matched === 0 || (need.disk ? nodes.usable === 0 : nodes.rejected.length > 0));
    return { ...to, finding, nodes };
  };

  const azs: readonly (Named | undefined)[] = cloud.azs.length > 0 ? cloud.azs : [undefined];
  const vmTypes: TypeCheck[] = [];
  for (const vmType of cloud.vm_types) {
    for (const az of azs) vmTypes.push(await judge(vmType.name, az?.name ?? null, vmProperties(vmType, az), `vm_type '${vmType.name}'`, { disk: false }));
  }
  // A disk_type routes by its own cloud_properties when create_disk has no VM; with a VM (the
  // usual case) the disk goes to the VM's backend, and on Ironic it is a local disk of its node.
  const diskTypes: TypeCheck[] = [];
  for (const diskType of cloud.disk_types) {
    diskTypes.push(
      await judge(diskType.name, null, diskType.cloud_properties, `disk_type '${diskType.name}'`, { disk: true, sizeMb: diskType.disk_size ?? 0 }),
    );
  }
  return { ironic, vm_types: vmTypes, disk_types: diskTypes };
}

/** The report as text: the same data as --json, for a person. */
export function renderValidate(report: ValidateReport): string {
  const lines: string[] = [];
  const { config, cloud_config: cloud } = report;
  if (!config.valid) {
    lines.push(`config ${config.file}: invalid`, ...config.problems.map((p) => `  ${p}`));
    if (cloud !== null) lines.push(`cloud-config ${cloud.file}: not checked (the config must be valid first)`);
  } else {
    lines.push(
      `config ${config.file}: valid`,
      `  backends: ${config.backends.map((b) => `${b.name} (${b.type})`).join(', ')}; default_backend ${config.default_backend}`,
    );
    if (cloud !== null && !cloud.valid) lines.push('', `cloud-config ${cloud.file}: invalid`, ...cloud.problems.map((p) => `  ${p}`));
    if (cloud?.valid) {
      lines.push('', `cloud-config ${cloud.file}`);
      if (report.ironic.length > 0) lines.push('ironic backends:');
      for (const i of report.ironic)
        lines.push(i.error === null ? `  ${i.backend}: ${count(i.nodes!, 'node')}` : `  ${i.backend}: cannot list the nodes: ${i.error}`);
      for (const [title, types, isDisk] of [
        ['vm_types', report.vm_types, false],
        ['disk_types', report.disk_types, true],
      ] as const) {
        lines.push(`${title}:`);
        if (types.length === 0) lines.push('  (none)');
        for (const t of types) lines.push(...typeLines(t, isDisk));
      }
    }
  }
  lines.push('', report.findings === 0 ? 'No findings.' : `${count(report.findings, 'finding')}.`);
  return `${lines.join('\n')}\n`;
}

function typeLines(t: TypeCheck, isDisk: boolean): string[] {
  const label = `  ${t.name}${t.az === null ? '' : ` in ${t.az}`}`;
  if (t.backend === null) return [`${label}: routes nowhere: ${t.problem}`];
  const to = `${label}: ${t.backend} (${t.type})`;
  if (t.problem !== null) return [`${to}: ${t.problem}`];
  if (t.unchecked !== null) return [`${to}: nodes not checked (${t.unchecked})`];
  const n = t.nodes;
  if (n === null) return [to];
  if (n.enrolls) return [`${to}: enrolls a new node from ironic_params (Ironic knows none of its MACs)`];
  let head: string;
  if (n.matched === 0) head = `${to}: no node can satisfy it`;
  else {
    head = `${to}: matched by ${count(n.matched, 'node')}, ${n.free} free now`;
    if (isDisk) head += n.usable === 0 ? ', but no node has a device that can hold it' : `, ${n.usable} with a device that can hold it`;
    else if (n.rejected.length > 0) head += `, but ${n.rejected.length} of them cannot take it`;
  }
  // Listed only when they make a finding (a disk_type some nodes can hold is fine).
  const listed = t.finding ? n.rejected : [];
  return [
    head,
    ...listed.slice(0, SHOWN).map((r) => `    ${nodeLabel(r)}: ${r.reason}`),
    ...(listed.length > SHOWN ? [`    ... and ${listed.length - SHOWN} more nodes`] : []),
  ];
}
