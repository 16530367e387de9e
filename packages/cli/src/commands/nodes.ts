import { didYouMean, messageOf, type BackendName, type NodeList } from '@hybrid-cpi/core';
import { TOKENS, resolve } from '../tokens.js';
import { EXIT, type OperatorCommand } from './command.js';
import { NodeViews, nodeLabel } from './node-views.js';
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

export const nodes: OperatorCommand = {
  name: 'nodes',
  usage: USAGE,
  run: (argv, io, container) =>
    runReport('nodes', io, container, async (io) => {
      const options = parseOptions(
        argv,
        { config: { type: 'string', short: 'c' }, backend: { type: 'string' }, json: { type: 'boolean' }, unquarantine: { type: 'string' } },
        ['config'],
      );
      const loaded = await readConfig(options.config!, container);
      // A config that gives no nodes to list: its problems, as text or as errors of no backend.
      const unusable = (text: string, problems: readonly string[]) => {
        io.out(options.json ? `${JSON.stringify({ nodes: [], errors: problems.map((message) => ({ backend: null, message })) }, null, 2)}\n` : text);
        return EXIT.findings;
      };
      if (loaded.config === undefined)
        return unusable(`config ${options.config}: invalid\n${loaded.problems.map((p) => `  ${p}\n`).join('')}`, loaded.problems);
      const views = await NodeViews.open(loaded.config, resolve(container, TOKENS.seams));
      try {
        const all = views.names();
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
          const backend = names[0]!;
          const done = await views
            .get(backend)!
            .returnNode(options.unquarantine)
            .catch((error: unknown) => new Error(messageOf(error)));
          if (done instanceof Error) {
            io.out(`backend ${backend}: ${done.message}\n`);
            return EXIT.findings;
          }
          if (options.json) io.out(`${JSON.stringify({ backend, ...done }, null, 2)}\n`);
          else io.out(`backend ${backend}: node ${nodeLabel(done)}: ${done.done.join(', ')}\n`);
          return EXIT.ok;
        }
        const lists: NodeList[] = [];
        const errors: { backend: BackendName; message: string }[] = [];
        for (const backend of names) {
          const listing = await views.get(backend)!.list();
          if ('error' in listing) errors.push({ backend, message: listing.error });
          else lists.push(listing);
        }
        if (options.json) io.out(`${JSON.stringify({ nodes: lists.flatMap((l) => l.nodes.map((n) => n.json)), errors }, null, 2)}\n`);
        else {
          if (lists.some((l) => l.nodes.length > 0) || errors.length === 0) io.out(tables(lists));
          for (const e of errors) io.out(`backend ${e.backend}: ${e.message}\n`);
        }
        return errors.length === 0 ? EXIT.ok : EXIT.findings;
      } finally {
        await views.close();
      }
    }),
};

/** The nodes in one table, or one per kind of columns (backends of different types). */
function tables(lists: readonly NodeList[]): string {
  const byColumns = new Map<string, { columns: readonly string[]; rows: (readonly string[])[] }>();
  for (const list of lists) {
    const key = list.columns.join('\u0000');
    const table = byColumns.get(key) ?? { columns: list.columns, rows: [] };
    table.rows.push(...list.nodes.map((n) => n.cells));
    byColumns.set(key, table);
  }
  return [...byColumns.values()].map((t) => formatTable(t.columns, t.rows)).join('\n');
}
