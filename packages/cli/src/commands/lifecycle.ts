import fs from 'node:fs';
import { BackendRegistry, didYouMean, isCpiError, messageOf, silentLogger, type BackendName } from '@hybrid-cpi/core';
import { conformanceSteps } from '@hybrid-cpi/core/testing';
import { UsageError, parseOptions } from './options.js';
import { TOKENS, resolve, type Resolver } from '../tokens.js';
import { runReport } from './report.js';
import { EXIT, type CommandIo, type OperatorCommand } from './command.js';
import { cleanUp } from './lifecycle-cleanup.js';
import { readInputs, scratchDir, type ImageSource } from './lifecycle-inputs.js';
import { describeLine, progressLogger, type BackendLine } from './lifecycle-progress.js';
import { trackBackend } from './lifecycle-tracker.js';
import { loadOperatorConfig } from './load-config.js';

const USAGE = `Usage: hybrid-cpi lifecycle --config FILE --backend NAME [--inputs FILE] [--keep-going] [--json]

Runs the lifecycle conformance suite, the CPI calls the director makes through a deployment and
its deletion, against the live backend NAME of the config: create_stemcell, create_vm, has_vm,
set_vm_metadata, reboot_vm, create_disk, attach_disk, get_disks, detach_disk, delete_disk,
delete_vm, delete_stemcell, and the answers for unknown CIDs. Each step prints ok or failed and
how long it took; on a terminal, the backend's progress while a step waits (a deploy's state and
time) shows too. What the suite created is deleted at the end, also when a step failed.
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
                      defaults: a stemcell image made here (an openstack-raw image of zeros
                      for a backend that takes that format, such as ironic; else a
                      placeholder file), one dynamic network, a 1024 MiB disk
  -k, --keep-going    run the later steps after a step failed (steps that need what it
                      did not make are still not run)
      --json          one JSON object per line as things happen: start, progress, step,
                      cleanup, summary (docs/operator-commands.md)
  -h, --help          show this help
Exit status: 0 every step passed, 1 a step failed (or the clean-up did), 2 usage error.
`;

/**
 * What the command reports, in order: `--json` writes each as one JSON line as it happens, the
 * text writes each as the lines below. Progress lines show on a terminal only; in JSON, always.
 */
export type LifecycleEvent =
  | { readonly event: 'start'; readonly backend: string; readonly type: string; readonly config: string; readonly stemcell_image: ImageSource }
  /** The backend's own progress (or, after 5 s without any, that the step still runs). */
  | {
      readonly event: 'progress';
      readonly step: string;
      readonly elapsed_s: number;
      readonly level: BackendLine['level'];
      readonly message: string;
      readonly fields: Readonly<Record<string, unknown>>;
    }
  | {
      readonly event: 'step';
      readonly name: string;
      readonly status: 'ok' | 'failed' | 'skipped';
      /** How long it ran; null when it did not run. */
      readonly ms: number | null;
      /** A failure's message, or why a step did not run (null when only because an earlier one failed). */
      readonly message: string | null;
      /** The BOSH error type of a failure, when the backend gave one. */
      readonly error_type: string | null;
    }
  | { readonly event: 'cleanup'; readonly ok: boolean; readonly text: string }
  | {
      readonly event: 'summary';
      readonly steps: number;
      readonly ok: number;
      readonly failed: number;
      readonly skipped: number;
      readonly cleanup_failed: boolean;
    };

/** A step that waits this long without a line from the backend gets one saying it still runs. */
const QUIET_MS = 5_000;

const STEMCELL_IMAGES: Record<ImageSource, string> = {
  given: 'the image given in --inputs',
  generated: 'a 1 MiB openstack-raw image of zeros made here (stemcell.image in --inputs gives a real one)',
  placeholder: 'a placeholder file, not a disk image (stemcell.image in --inputs gives a real one)',
  existing: 'the existing stemcell given in --inputs',
};

export const lifecycle: OperatorCommand = {
  name: 'lifecycle',
  usage: USAGE,
  run: (argv, io, container) => runReport('lifecycle', io, container, (io) => run(argv, io, container)),
};

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  backend: { type: 'string', short: 'b' },
  inputs: { type: 'string', short: 'i' },
  'keep-going': { type: 'boolean', short: 'k' },
  json: { type: 'boolean' },
} as const;

async function run(argv: readonly string[], io: CommandIo, container: Resolver): Promise<number> {
  const options = parseOptions(argv, OPTIONS, ['config', 'backend']);
  const loaded = await loadOperatorConfig(options.config!, container);
  if (!loaded.ok) {
    io.err(
      `hybrid-cpi lifecycle: the config ${options.config} is not usable (hybrid-cpi doctor says ` +
        `more):\n${loaded.problems.map((p) => `- ${p.text}\n`).join('')}`,
    );
    return EXIT.findings;
  }
  const { config } = loaded;
  const name = options.backend! as BackendName;
  const resolved = config.backends.get(name);
  const names = [...config.backends.keys()];
  if (resolved === undefined) throw new UsageError(`--backend ${name}: the config has no such backend (${names.join(', ')})${didYouMean(name, names)}`);
  const emit = options.json ? (e: LifecycleEvent) => io.out(`${JSON.stringify(e)}\n`) : (e: LifecycleEvent) => io.out(renderEvent(e, io.terminal));

  const scratch = scratchDir();
  try {
    const { inputs, image } = await readInputs(options.inputs, resolved.module.stemcellFormats(resolved.config), scratch);
    resolve(container, TOKENS.secrets).addEnv(inputs.vm.env);
    emit({ event: 'start', backend: name, type: resolved.config.type, config: config.file, stemcell_image: image });

    // The step under way, and when the backend last said something about it.
    let current: { name: string; started: number; lastLine: number } | undefined;
    const progress = (line: BackendLine) => {
      if (current === undefined) return;
      current.lastLine = performance.now();
      emit({ event: 'progress', step: current.name, elapsed_s: Math.round((current.lastLine - current.started) / 1000), ...line });
    };
    let tracked: ReturnType<typeof trackBackend> | undefined;
    const steps = conformanceSteps({
      ...inputs,
      keepGoing: options['keep-going'] === true,
      makeBackend: async () => {
        // Made as a CPI call makes it (the same deps, the container's seams), with a logger that shows its progress.
        const registry = new BackendRegistry(config, silentLogger, async () => resolve(container, TOKENS.seams));
        tracked = trackBackend(await resolved.module.create(resolved.config, await registry.deps(name, progressLogger(progress))));
        return tracked.backend;
      },
    });
    const quiet = setInterval(() => {
      if (current !== undefined && performance.now() - current.lastLine >= QUIET_MS) progress({ level: 'info', message: 'still running', fields: {} });
    }, 1000);

    // An operator's ^C ends the step under way, then skips the rest and cleans up.
    let interrupted: string | undefined;
    const onSignal = (signal: string) => (interrupted = signal);
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const counts = { ok: 0, failed: 0, skipped: 0 };
    const stepEvent = (name: string, status: 'ok' | 'failed' | 'skipped', ms: number | null, message: string | null, errorType: string | null = null) => {
      counts[status]++;
      emit({ event: 'step', name, status, ms, message, error_type: errorType });
    };
    try {
      for (const step of steps) {
        if (interrupted !== undefined) {
          stepEvent(step.name, 'skipped', null, `interrupted by ${interrupted}`);
          continue;
        }
        const started = performance.now();
        current = { name: step.name, started, lastLine: started };
        try {
          await step.run();
          stepEvent(step.name, 'ok', Math.round(performance.now() - started), null);
        } catch (error) {
          const message = messageOf(error);
          if (message.startsWith('not run: ')) {
            // "step 'X' failed" only repeats the failure above; other reasons ("no vm") say more.
            const why = message.slice('not run: '.length);
            stepEvent(step.name, 'skipped', null, /^step '.*' failed$/.test(why) ? null : why);
          } else {
            const hint = image === 'placeholder' && /^create_stemcell/.test(step.name) ? `\n${STEMCELL_IMAGES.placeholder}` : '';
            stepEvent(step.name, 'failed', Math.round(performance.now() - started), `${message}${hint}`, isCpiError(error) ? error.type : null);
          }
        } finally {
          current = undefined;
        }
      }
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }

    let cleanupFailed = false;
    try {
      if (tracked !== undefined) {
        // Deleting what a failed step left can wait as long as a step: its progress shows too.
        current = { name: 'clean-up', started: performance.now(), lastLine: performance.now() };
        for (const line of await cleanUp(tracked.backend, tracked.leftovers)) {
          cleanupFailed ||= !line.ok;
          emit({ event: 'cleanup', ok: line.ok, text: line.text });
        }
        current = undefined;
        if (!tracked.closed()) await tracked.backend.close?.().catch(() => undefined);
      }
    } finally {
      clearInterval(quiet);
    }
    emit({ event: 'summary', steps: counts.ok + counts.failed + counts.skipped, ...counts, cleanup_failed: cleanupFailed });
    return counts.failed === 0 && counts.skipped === 0 && !cleanupFailed ? EXIT.ok : EXIT.findings;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** An event as text lines; progress only for a person at a terminal. */
function renderEvent(e: LifecycleEvent, terminal: boolean): string {
  switch (e.event) {
    case 'start':
      return `lifecycle of backend ${e.backend} (${e.type}) from ${e.config}\nstemcell: ${STEMCELL_IMAGES[e.stemcell_image]}\n`;
    case 'progress':
      return terminal ? `${''.padEnd(8)}${e.step.split(' ')[0]} ${e.elapsed_s} s: ${describeLine(e)}\n` : '';
    case 'step':
      if (e.status === 'skipped') return `${'skipped'.padEnd(8)}${e.name}${e.message === null ? '' : `: ${e.message}`}\n`;
      if (e.status === 'ok') return `${'ok'.padEnd(8)}${e.name} (${e.ms} ms)\n`;
      return `${'failed'.padEnd(8)}${e.name} (${e.ms} ms)\n${indent(e.error_type === null ? e.message! : `${e.error_type}: ${e.message}`)}`;
    case 'cleanup':
      return `${'cleanup'.padEnd(8)}${e.text}\n`;
    case 'summary':
      return `${e.steps} steps: ${e.ok} ok, ${e.failed} failed, ${e.skipped} not run${e.cleanup_failed ? '; the clean-up left resources behind' : ''}\n`;
  }
}

/** A failure's message under its step, indented, one or more lines. */
function indent(message: string): string {
  return message
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => `${`        ${line}`.trimEnd()}\n`)
    .join('');
}
