import { nodeStatus, unquarantineNode, type IronicConfig, type NodeStatus } from '@hybrid-cpi/backend-ironic/operator';
import { didYouMean, type BackendName } from '@hybrid-cpi/core';
import { EXIT, type OperatorCommand } from './command.js';
import { IronicView } from './ironic-view.js';
import { describeBackends, readConfig } from './load-config.js';
import { UsageError, parseOptions } from './options.js';
import { runReport } from './report.js';
import { formatTable } from './table.js';

const USAGE = `Usage: hybrid-cpi nodes --config FILE [--backend NAME] [--json]
       hybrid-cpi nodes --config FILE [--backend NAME] --unquarantine NODE

The nodes of the config's Ironic backends: provision and power state, the BOSH VM on each (agent,
deployment, job/index from the metadata the director sets), its local persistent disks, and its
status:
  free          available, unclaimed: create_vm may take it
  vm            carries a BOSH VM of this CPI ("vm, enrolled" when the CPI enrolled the node
                for it and deletes it with the VM)
  parked        holds persistent disks and no VM: kept (still claimed, and deployed and powered
                off once it ran a VM) for the next VM of the disks' instance; NOTE says which
                instance and since when
  quarantined   retired (by the CPI after failed deploys: since when), in maintenance, with a
                fault, power state 'error', health Critical, or in a failed state: why, in NOTE
  claimed       claimed by something other than this CPI
  unavailable   not in 'available' (enroll, manageable, a state in progress), or power unknown
Read-only, but for --unquarantine: nothing is claimed or changed.

Options:
  -c, --config FILE    the CPI's config file (JSON or YAML)
      --backend NAME   only this Ironic backend (default: all of them)
      --json           the same as JSON: {"nodes": [...], "errors": [...]}
      --unquarantine NODE
                       return a node the CPI quarantined to the pool: forget its failed
                       deploys, un-retire and provide it (Ironic cleans it); refused for a
                       node retired or in maintenance by anyone else
  -h, --help           show this help

Exit status: 0 listed (or returned); 1 the config is invalid or has no Ironic backend, an Ironic
could not be reached, or the node cannot be returned; 2 usage.
`;

const USE_LABELS: Record<NodeStatus['use'], string> = {
  free: 'free',
  vm: 'vm',
  parked: 'parked',
  quarantined: 'quarantined',
  foreign: 'claimed',
  unavailable: 'unavailable',
};

export const nodes: OperatorCommand = {
  name: 'nodes',
  usage: USAGE,
  run: (argv, io) =>
    runReport('nodes', io, async (io, secrets) => {
      const options = parseOptions(
        argv,
        { config: { type: 'string', short: 'c' }, backend: { type: 'string' }, json: { type: 'boolean' }, unquarantine: { type: 'string' } },
        ['config'],
      );
      const loaded = await readConfig(options.config!, secrets);
      // A config that gives no nodes to list: its problems, as text or as errors of no backend.
      const unusable = (text: string, problems: readonly string[]) => {
        io.out(options.json ? `${JSON.stringify({ nodes: [], errors: problems.map((message) => ({ backend: null, message })) }, null, 2)}\n` : text);
        return EXIT.findings;
      };
      if (loaded.config === undefined)
        return unusable(`config ${options.config}: invalid\n${loaded.problems.map((p) => `  ${p}\n`).join('')}`, loaded.problems);
      const view = new IronicView(loaded.config);
      const all = view.backends();
      if (options.backend !== undefined && !all.includes(options.backend as BackendName)) {
        throw new UsageError(
          `--backend ${options.backend} is not an Ironic backend of the config (backends: ` +
            `${describeBackends(loaded.config)})${didYouMean(options.backend, all)}`,
        );
      }
      if (all.length === 0) {
        const none = `config ${options.config}: no Ironic backend (backends: ${describeBackends(loaded.config)}), so no nodes`;
        return unusable(`${none}\n`, [none]);
      }
      const names = options.backend === undefined ? all : [options.backend as BackendName];
      if (options.unquarantine !== undefined) {
        if (names.length > 1) throw new UsageError(`--unquarantine needs --backend: the config has several Ironic backends (${names.join(', ')})`);
        const done = await unquarantineNode(loaded.config.backends.get(names[0]!)!.config as IronicConfig, options.unquarantine).catch(
          (error: unknown) => error as Error,
        );
        if (done instanceof Error) {
          io.out(`backend ${names[0]}: ${done.message}\n`);
          return EXIT.findings;
        }
        if (options.json) io.out(`${JSON.stringify({ backend: names[0], ...done }, null, 2)}\n`);
        else io.out(`backend ${names[0]}: node ${done.name ? `${done.name} (${done.uuid})` : done.uuid}: ${done.done.join(', ')}\n`);
        return EXIT.ok;
      }
      try {
        const listed: { backend: BackendName; status: NodeStatus }[] = [];
        const errors: { backend: BackendName; message: string }[] = [];
        for (const backend of names) {
          const listing = await view.nodes(backend);
          if (listing.error !== undefined) errors.push({ backend, message: listing.error });
          else listed.push(...listing.nodes.map((n) => ({ backend, status: nodeStatus(n) })));
        }
        if (options.json) io.out(`${JSON.stringify({ nodes: listed.map((n) => asJson(n.backend, n.status)), errors }, null, 2)}\n`);
        else {
          if (listed.length > 0 || errors.length === 0)
            io.out(
              formatTable(
                ['BACKEND', 'NAME', 'UUID', 'PROVISION', 'POWER', 'STATUS', 'AGENT', 'DEPLOYMENT', 'INSTANCE', 'DISKS', 'NOTE'],
                listed.map((n) => row(n.backend, n.status)),
              ),
            );
          for (const e of errors) io.out(`backend ${e.backend}: ${e.message}\n`);
        }
        return errors.length === 0 ? EXIT.ok : EXIT.findings;
      } finally {
        await view.close();
      }
    }),
};

function row(backend: BackendName, s: NodeStatus): string[] {
  const dash = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '-' : v);
  const instance = s.vm === null || (s.vm.job === null && s.vm.index === null) ? null : `${s.vm.job ?? '?'}/${s.vm.index ?? '?'}`;
  const disks = s.disks.map((d) => `${d.cid.slice(s.uuid.length + 1)} ${d.device} ${d.size_mb}M${d.attached_to === null ? '' : ' attached'}`).join(', ');
  return [
    backend,
    dash(s.name),
    s.uuid,
    s.provision_state,
    dash(s.power_state),
    s.use === 'vm' && s.enrolled ? 'vm, enrolled' : USE_LABELS[s.use],
    dash(s.vm?.agent_id),
    dash(s.vm?.deployment),
    dash(instance),
    dash(disks),
    dash(s.reason),
  ];
}

/** CIDs as the director knows them: with the backend prefix. */
function asJson(backend: BackendName, s: NodeStatus) {
  const cid = (native: string | null) => (native === null ? null : `${backend}:${native}`);
  return {
    backend,
    uuid: s.uuid,
    name: s.name,
    provision_state: s.provision_state,
    power_state: s.power_state,
    status: s.use,
    reason: s.reason,
    enrolled: s.enrolled,
    vm: s.vm === null ? null : { ...s.vm, cid: cid(s.vm.cid) },
    disks: s.disks.map((d) => ({ ...d, cid: cid(d.cid), attached_to: cid(d.attached_to) })),
  };
}
