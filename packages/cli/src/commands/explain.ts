import type { Secrets } from '@hybrid-cpi/core';
import { EXIT, type CommandIo, type OperatorCommand } from './command.js';
import { chooseAz, loadCloudConfig, vmProperties } from './cloud-config.js';
import { IronicView, describeRequirements, nodeLabel } from './ironic-view.js';
import { readConfig } from './load-config.js';
import { UsageError, parseOptions } from './options.js';
import { count, runReport } from './report.js';
import { makeRouter } from './routing.js';

const USAGE = `Usage: hybrid-cpi explain --config FILE --cloud-config FILE --vm-type NAME [--az NAME]

A dry run of create_vm's node choice for one vm_type: the node it would take and, for every
other node, why not (the reasons create_vm itself gives). create_vm picks at random among the
nodes that fit, so when several do, any of them may be taken. Nothing is claimed or changed.

Options:
  -c, --config FILE        the CPI's config file (JSON or YAML)
      --cloud-config FILE  a BOSH cloud-config (YAML)
      --vm-type NAME       the vm_type to place
      --az NAME            the AZ (its cloud_properties, such as conductor_group, apply);
                           required when the cloud-config has more than one
  -h, --help               show this help

Exit status: 0 a node fits; 1 none does (or the config, the cloud-config or Ironic is the
problem); 2 usage.
`;

export const explain: OperatorCommand = {
  name: 'explain',
  usage: USAGE,
  run: (argv, io) =>
    runReport('explain', io, async (io, secrets) => {
      const options = parseOptions(
        argv,
        { config: { type: 'string', short: 'c' }, 'cloud-config': { type: 'string' }, 'vm-type': { type: 'string' }, az: { type: 'string' } },
        ['config', 'cloud-config', 'vm-type'],
      );
      return explainVmType(options.config!, options['cloud-config']!, options['vm-type']!, options.az, io, secrets);
    }),
};

async function explainVmType(configFile: string, cloudFile: string, vmTypeName: string, azName: string | undefined, io: CommandIo, secrets: Secrets): Promise<number> {
  const loaded = await readConfig(configFile, secrets);
  if (loaded.config === undefined) {
    io.out(`config ${configFile}: invalid\n${loaded.problems.map((p) => `  ${p}\n`).join('')}`);
    return EXIT.findings;
  }
  const read = await loadCloudConfig(cloudFile, io.out, secrets);
  if (!('cloud' in read)) return EXIT.findings;
  const { cloud } = read;
  const vmType = cloud.vm_types.find((t) => t.name === vmTypeName);
  if (vmType === undefined) throw new UsageError(`the cloud-config has no vm_type '${vmTypeName}' (it has ${cloud.vm_types.map((t) => t.name).join(', ') || 'none'})`);
  const chosen = chooseAz(cloud, azName);
  if ('error' in chosen) throw new UsageError(chosen.error);

  const props = vmProperties(vmType, chosen.az);
  const where = `vm_type ${vmType.name}${chosen.az === undefined ? '' : ` in AZ ${chosen.az.name}`}`;
  const routed = makeRouter(loaded.config)(props, `vm_type '${vmType.name}'`);
  if (routed.error !== undefined) {
    io.out(`${where}: routes nowhere: ${routed.error}\n`);
    return EXIT.findings;
  }
  io.out(`${where} -> backend ${routed.backend} (${routed.type})\n`);
  if (routed.type !== 'ironic') {
    io.out(`Node choice is made by the Ironic backends only; backend ${routed.backend} chooses for itself.\n`);
    return EXIT.ok;
  }

  const view = new IronicView(loaded.config);
  try {
    const assessed = await view.assess(routed.backend, props);
    if (assessed.error !== undefined) {
      io.out(`${assessed.error}\n`);
      return EXIT.findings;
    }
    io.out(`requires: ${describeRequirements(assessed.requirements)}\n`);
    if (assessed.enrolls) {
      io.out('would take: a new node, enrolled from ironic_params (Ironic knows none of its MACs)\n');
      return EXIT.ok;
    }
    const fitting = assessed.fits.filter((f) => f.rejection === undefined);
    const others = assessed.fits.filter((f) => f.rejection !== undefined);
    const [taken, ...alternatives] = fitting;
    io.out(taken === undefined ? `would take: nothing, no free node fits (create_vm would fail with VMCreationFailed)\n` : `would take: ${nodeLabel(taken.node)}\n`);
    if (alternatives.length > 0) {
      io.out(`also fit (create_vm picks one of the ${count(fitting.length, 'fitting node')} at random):\n`);
      for (const f of alternatives) io.out(`  ${nodeLabel(f.node)}\n`);
    }
    if (others.length > 0) {
      io.out('not taken:\n');
      for (const f of others) io.out(`  ${nodeLabel(f.node)}: ${f.rejection}\n`);
    }
    if (assessed.fits.length === 0) io.out('Ironic has no nodes at all\n');
    return taken === undefined ? EXIT.findings : EXIT.ok;
  } finally {
    await view.close();
  }
}
