import type { HybridConfig, Secrets } from '@hybrid-cpi/core';
import { EXIT, type CommandIo, type OperatorCommand } from './command.js';
import { loadCloudConfig, vmProperties, type CloudConfig, type Named, type Properties } from './cloud-config.js';
import { IronicView, nodeLabel } from './ironic-view.js';
import { describeBackends, readConfig } from './load-config.js';
import { parseOptions } from './options.js';
import { count, runReport } from './report.js';
import { makeRouter } from './routing.js';

const USAGE = `Usage: hybrid-cpi validate --config FILE [--cloud-config FILE]

Checks the config file and, with a cloud-config, where each vm_type and disk_type goes: the
backend the CPI routes it to (cloud_properties.backend, else default_backend; a vm_type once in
each AZ, whose cloud_properties the director merges under the vm_type's) and, for an Ironic
backend, how many nodes could take it and how many are free now. A dry run: it lists nodes and
ports, and never claims or changes anything.

Options:
  -c, --config FILE        the CPI's config file (JSON or YAML)
      --cloud-config FILE  a BOSH cloud-config (YAML): azs, vm_types, disk_types, ...
  -h, --help               show this help

Exit status: 0 no findings; 1 findings (an invalid config or cloud-config, a type no backend
takes, an Ironic type no node can ever satisfy, an Ironic that cannot be reached); 2 usage.
`;

/** The most nodes listed under a finding; the rest are counted. */
const SHOWN = 10;

export const validate: OperatorCommand = {
  name: 'validate',
  usage: USAGE,
  run: (argv, io) =>
    runReport('validate', io, async (io, secrets) => {
      const options = parseOptions(argv, { config: { type: 'string', short: 'c' }, 'cloud-config': { type: 'string' } }, ['config']);
      const findings = await check(options.config!, options['cloud-config'], io, secrets);
      io.out(`\n${findings === 0 ? 'No findings.' : `${count(findings, 'finding')}.`}\n`);
      return findings === 0 ? EXIT.ok : EXIT.findings;
    }),
};

/** Writes the report; returns how many findings it holds. */
async function check(configFile: string, cloudFile: string | undefined, io: CommandIo, secrets: Secrets): Promise<number> {
  const loaded = await readConfig(configFile, secrets);
  if (loaded.config === undefined) {
    io.out(`config ${configFile}: invalid\n${loaded.problems.map((p) => `  ${p}\n`).join('')}`);
    if (cloudFile !== undefined) io.out(`cloud-config ${cloudFile}: not checked (the config must be valid first)\n`);
    return loaded.problems.length;
  }
  const config = loaded.config;
  io.out(`config ${configFile}: valid\n  backends: ${describeBackends(config)}; default_backend ${config.defaultBackend}\n`);
  if (cloudFile === undefined) return 0;

  const read = await loadCloudConfig(cloudFile, io.out, secrets, '\n');
  if (!('cloud' in read)) return read.problems;
  const { cloud } = read;
  io.out(`\ncloud-config ${cloudFile}\n`);
  const view = new IronicView(config);
  try {
    return await checkTypes(config, cloud, view, io);
  } finally {
    await view.close();
  }
}

async function checkTypes(config: HybridConfig, cloud: CloudConfig, view: IronicView, io: CommandIo): Promise<number> {
  let findings = 0;
  const route = makeRouter(config);

  const reachable = new Set<string>();
  if (view.backends().length > 0) io.out('ironic backends:\n');
  for (const name of view.backends()) {
    const listing = await view.nodes(name);
    if (listing.error !== undefined) {
      findings++;
      io.out(`  ${name}: cannot list the nodes: ${listing.error}\n`);
    } else {
      reachable.add(name);
      io.out(`  ${name}: ${count(listing.nodes.length, 'node')}\n`);
    }
  }

  /** One line for one type (and AZ); true when it is a finding. */
  const judge = async (label: string, props: Properties, what: string): Promise<boolean> => {
    const routed = route(props, what);
    if (routed.error !== undefined) {
      io.out(`  ${label}: routes nowhere: ${routed.error}\n`);
      return true;
    }
    const to = `${routed.backend} (${routed.type})`;
    if (routed.type !== 'ironic') return void io.out(`  ${label}: ${to}\n`), false;
    if (!reachable.has(routed.backend)) return void io.out(`  ${label}: ${to}: nodes not checked (Ironic unreachable, see above)\n`), false;
    const assessed = await view.assess(routed.backend, props);
    if (assessed.error !== undefined) {
      io.out(`  ${label}: ${to}: ${assessed.error}\n`);
      return true;
    }
    const fitting = assessed.fits.filter((f) => f.mismatch === undefined);
    const free = fitting.filter((f) => f.rejection === undefined);
    if (assessed.enrolls) return void io.out(`  ${label}: ${to}: enrolls a new node from ironic_params (Ironic knows none of its MACs)\n`), false;
    if (fitting.length > 0) return void io.out(`  ${label}: ${to}: matched by ${count(fitting.length, 'node')}, ${free.length} free now\n`), false;
    io.out(`  ${label}: ${to}: no node can satisfy it\n`);
    for (const f of assessed.fits.slice(0, SHOWN)) io.out(`    ${nodeLabel(f.node)}: ${f.mismatch}\n`);
    if (assessed.fits.length > SHOWN) io.out(`    ... and ${assessed.fits.length - SHOWN} more nodes\n`);
    return true;
  };

  const azs: readonly (Named | undefined)[] = cloud.azs.length > 0 ? cloud.azs : [undefined];
  io.out('vm_types:\n');
  if (cloud.vm_types.length === 0) io.out('  (none)\n');
  for (const vmType of cloud.vm_types) {
    for (const az of azs) {
      const label = az === undefined ? vmType.name : `${vmType.name} in ${az.name}`;
      if (await judge(label, vmProperties(vmType, az), `vm_type '${vmType.name}'`)) findings++;
    }
  }
  io.out('disk_types:\n');
  if (cloud.disk_types.length === 0) io.out('  (none)\n');
  // A disk_type routes by its own cloud_properties when create_disk has no VM; with a VM (the
  // usual case) the disk goes to the VM's backend, and on Ironic it is a local disk of its node.
  for (const diskType of cloud.disk_types) {
    if (await judge(diskType.name, diskType.cloud_properties, `disk_type '${diskType.name}'`)) findings++;
  }
  return findings;
}
