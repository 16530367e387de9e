import fs from 'node:fs';
import { isCpiError, silentLogger, type BackendName, type Secrets } from '@hybrid-cpi/core';
import { conformanceSteps } from '@hybrid-cpi/core/testing';
import { UsageError, parseOptions } from './options.js';
import { messageOf, runReport } from './report.js';
import { EXIT, type CommandIo, type OperatorCommand } from './command.js';
import { cleanUp } from './lifecycle-cleanup.js';
import { readInputs, scratchDir } from './lifecycle-inputs.js';
import { trackBackend } from './lifecycle-tracker.js';
import { loadOperatorConfig } from './load-config.js';

const USAGE = `Usage: hybrid-cpi lifecycle --config FILE --backend NAME [--inputs FILE] [--keep-going]

Runs the lifecycle conformance suite, the CPI calls the director makes through a deployment and
its deletion, against the live backend NAME of the config: create_stemcell, create_vm, has_vm,
set_vm_metadata, reboot_vm, create_disk, attach_disk, get_disks, detach_disk, delete_disk,
delete_vm, delete_stemcell, and the answers for unknown CIDs. Each step prints ok or failed and
how long it took. What the suite created is deleted at the end, also when a step failed.
It creates real resources: on Ironic it deploys (and then cleans) a node.

Options:
  -c, --config FILE   the config file (JSON or YAML), as the CPI gets it
  -b, --backend NAME  the backend to run it against (a key of backends)
  -i, --inputs FILE   what the suite needs (JSON or YAML); every key is optional:
                        stemcell: {image: FILE, cloud_properties: {...}}
                        existing_stemcell: CID      (skips create/delete_stemcell)
                        vm: {cloud_properties: {...}, networks: {...}, env: {...}}
                        disk: {size: MiB, cloud_properties: {...}}
                        parts: [stemcells, vms, disks]
                        api_version: 1 | 2 | 3
                      defaults: a small scratch image file with cloud_properties of the
                      backend's first stemcell format, one dynamic network, a 1024 MiB disk
  -k, --keep-going    run the later steps after a step failed (steps that need what it
                      did not make are still not run)
  -h, --help          show this help
Exit status: 0 every step passed, 1 a step failed (or the clean-up did), 2 usage error.
`;

export const lifecycle: OperatorCommand = {
  name: 'lifecycle',
  usage: USAGE,
  run: (argv, io) => runReport('lifecycle', io, (io, secrets) => run(argv, io, secrets)),
};

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  backend: { type: 'string', short: 'b' },
  inputs: { type: 'string', short: 'i' },
  'keep-going': { type: 'boolean', short: 'k' },
} as const;

async function run(argv: readonly string[], io: CommandIo, secrets: Secrets): Promise<number> {
  const options = parseOptions(argv, OPTIONS, ['config', 'backend']);
  const loaded = await loadOperatorConfig(options.config!, secrets);
  if (!loaded.ok) {
    io.err(`hybrid-cpi lifecycle: the config ${options.config} is not usable (hybrid-cpi doctor says more):\n${loaded.problems.map((p) => `- ${p.text}\n`).join('')}`);
    return EXIT.findings;
  }
  const { config } = loaded;
  const name = options.backend! as BackendName;
  const resolved = config.backends.get(name);
  if (resolved === undefined) throw new UsageError(`--backend ${name}: the config has no such backend (${[...config.backends.keys()].join(', ')})`);

  const scratch = scratchDir();
  try {
    const inputs = await readInputs(options.inputs, resolved.module.stemcellFormats(resolved.config)[0], scratch);
    secrets.addEnv(inputs.vm.env);
    io.out(`lifecycle of backend ${name} (${resolved.config.type}) from ${config.file}\n`);

    let tracked: ReturnType<typeof trackBackend> | undefined;
    const steps = conformanceSteps({
      ...inputs,
      keepGoing: options['keep-going'] === true,
      makeBackend: async () => {
        tracked = trackBackend(await resolved.module.create(resolved.config, { name, logger: silentLogger, agent: config.raw.agent }));
        return tracked.backend;
      },
    });

    // An operator's ^C ends the step under way, then skips the rest and cleans up.
    let interrupted: string | undefined;
    const onSignal = (signal: string) => (interrupted = signal);
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const counts = { ok: 0, failed: 0, skipped: 0 };
    try {
      for (const step of steps) {
        if (interrupted !== undefined) {
          counts.skipped++;
          io.out(`${'skipped'.padEnd(8)}${step.name}: interrupted by ${interrupted}\n`);
          continue;
        }
        const started = performance.now();
        try {
          await step.run();
          counts.ok++;
          io.out(`${'ok'.padEnd(8)}${step.name} (${Math.round(performance.now() - started)} ms)\n`);
        } catch (error) {
          const message = messageOf(error);
          if (message.startsWith('not run: ')) {
            counts.skipped++;
            // "step 'X' failed" only repeats the failure above; other reasons ("no vm") say more.
            const why = message.slice('not run: '.length);
            io.out(`${'skipped'.padEnd(8)}${step.name}${/^step '.*' failed$/.test(why) ? '' : `: ${why}`}\n`);
          } else {
            counts.failed++;
            const text = isCpiError(error) ? `${error.type}: ${message}` : message;
            io.out(`${'failed'.padEnd(8)}${step.name} (${Math.round(performance.now() - started)} ms)\n${indent(text)}`);
          }
        }
      }
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }

    let cleanupFailed = false;
    if (tracked !== undefined) {
      for (const line of await cleanUp(tracked.backend, tracked.leftovers)) {
        cleanupFailed ||= !line.ok;
        io.out(`${'cleanup'.padEnd(8)}${line.text}\n`);
      }
      if (!tracked.closed()) await tracked.backend.close?.().catch(() => undefined);
    }
    const total = counts.ok + counts.failed + counts.skipped;
    io.out(`${total} steps: ${counts.ok} ok, ${counts.failed} failed, ${counts.skipped} not run${cleanupFailed ? '; the clean-up left resources behind' : ''}\n`);
    return counts.failed === 0 && counts.skipped === 0 && !cleanupFailed ? EXIT.ok : EXIT.findings;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** A failure's message under its step, indented, one or more lines. */
function indent(message: string): string {
  return message.replace(/\n+$/, '').split('\n').map((line) => `        ${line}`.trimEnd() + '\n').join('');
}
