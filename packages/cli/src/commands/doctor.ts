import type { BackendConfig, Secrets } from '@hybrid-cpi/core';
import type { DelegateConfig } from '@hybrid-cpi/backend-delegate/operator';
import type { IronicConfig } from '@hybrid-cpi/backend-ironic/operator';
import { parseOptions } from './options.js';
import { messageOf, runReport } from './report.js';
import { formatCheck, ok, problem, summary, type Check, type Report } from './checks.js';
import { EXIT, type CommandIo, type OperatorCommand } from './command.js';
import { describeBackends, loadOperatorConfig } from './load-config.js';

const USAGE = `Usage: hybrid-cpi doctor --config FILE [--json]

Reaches every backend of the config and says, one line per check, what is fine (ok), what may
fail depending on what cannot be seen from here (warning) and what is wrong (problem), with how
to fix it:
  config      the file is valid (each problem with its key path)
  ironic      Ironic answers, offers an API version the CPI can use, accepts the credentials;
              the nodes parked for persistent disks (what each waits for, since when);
              the image store takes a small probe object with the configured credentials,
              reads it back with them, serves it without credentials (as Ironic fetches
              images) and deletes it: nothing is left behind
  delegate    the command is an executable file, its info answers, and api_version and
              stemcell_formats agree with what it answers
  plugins     the backend package loads
No secret is printed. Exit status: 0 no problem (warnings allowed), 1 a problem was found,
2 usage error.

Options:
  -c, --config FILE   the config file (JSON or YAML), as the CPI gets it
      --json          the checks as one JSON object, at the end (docs/operator-commands.md)
  -h, --help          show this help
`;

/** How long the checks of one backend may take in all. */
const BACKEND_TIMEOUT_MS = 60_000;

type BackendCheck = (name: string, config: BackendConfig, report: Report, signal: AbortSignal) => Promise<void>;

/** The checks of each built-in type, loaded only for types the config uses. */
const BY_TYPE: Readonly<Record<string, () => Promise<BackendCheck[]>>> = {
  ironic: async () => {
    const [{ checkIronic }, { checkImageStore }] = await Promise.all([import('./doctor-ironic.js'), import('./doctor-image-store.js')]);
    // What Ironic offers tells whether it can fetch images with credentials.
    return [async (n, c, r, s) => checkImageStore(n, c as IronicConfig, r, s, await checkIronic(n, c as IronicConfig, r, s))];
  },
  delegate: async () => {
    const { checkDelegate } = await import('./doctor-delegate.js');
    return [(n, c, r, s) => checkDelegate(n, c as DelegateConfig, r, s)];
  },
  memory: async () => [async (name, _config, report) => report(ok(name, 'memory backend: nothing to reach'))],
};

export const doctor: OperatorCommand = {
  name: 'doctor',
  usage: USAGE,
  run: (argv, io) => runReport('doctor', io, (io, secrets) => run(argv, io, secrets)),
};

/** What `--json` prints, from the same checks the text shows one by one. */
export interface DoctorReport {
  readonly config: string;
  readonly checks: readonly Check[];
  readonly problems: number;
  readonly warnings: number;
}

async function run(argv: readonly string[], io: CommandIo, secrets: Secrets): Promise<number> {
  const { config: file, json } = parseOptions(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, ['config']);
  const checks: Check[] = [];
  const loaded = await loadOperatorConfig(file!, secrets);
  const width = Math.max('config'.length, ...(loaded.ok ? [...loaded.config.backends.keys()].map((n) => n.length) : []));
  const report: Report = (check) => {
    checks.push(check);
    if (!json) io.out(formatCheck(check, width));
  };

  if (!loaded.ok) {
    for (const { text, fix } of loaded.problems) report(problem('config', text, fix));
  } else {
    const { config } = loaded;
    report(ok('config', `${file} is valid: backends ${describeBackends(config)}; default ${config.defaultBackend}`));
    for (const backend of config.backends.values()) {
      const signal = AbortSignal.timeout(BACKEND_TIMEOUT_MS);
      try {
        const load = BY_TYPE[backend.config.type];
        if (load === undefined) {
          // A plugin: loading it (done with the config) is what can be checked without its help.
          report(
            ok(
              backend.name,
              `backend package '${backend.config.type}' loads (contract ${backend.module.contract}), stemcell formats ` +
                `${backend.module.stemcellFormats(backend.config).join(', ')}`,
            ),
          );
          continue;
        }
        for (const check of await load()) await check(backend.name, backend.config, report, signal);
      } catch (error) {
        // A check that broke is a finding too, never a stack trace.
        report(problem(backend.name, `checking it failed: ${messageOf(error)}`, 'see the message'));
      }
    }
  }
  const count = (status: Check['status']) => checks.filter((c) => c.status === status).length;
  const result: DoctorReport = { config: file!, checks, problems: count('problem'), warnings: count('warning') };
  io.out(json ? `${JSON.stringify(result, null, 2)}\n` : summary(checks));
  return result.problems === 0 ? EXIT.ok : EXIT.findings;
}
