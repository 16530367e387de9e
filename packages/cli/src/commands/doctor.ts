import type { BackendConfig, Secrets } from '@hybrid-cpi/core';
import type { DelegateConfig } from '@hybrid-cpi/backend-delegate/operator';
import type { IronicConfig } from '@hybrid-cpi/backend-ironic/operator';
import { parseOptions } from './options.js';
import { runReport } from './report.js';
import { formatCheck, ok, problem, summary, type Check, type Report } from './checks.js';
import { messageOf } from './report.js';
import { EXIT, type CommandIo, type OperatorCommand } from './command.js';
import { describeBackends, loadOperatorConfig } from './load-config.js';

const USAGE = `Usage: hybrid-cpi doctor --config FILE

Reaches every backend of the config and says, one line per check, what is fine and what is
wrong with how to fix it:
  config      the file is valid (each problem with its key path)
  ironic      Ironic answers, offers an API version the CPI can use, accepts the credentials;
              the nodes parked for persistent disks (what each waits for, since when);
              the image store takes a small probe object, serves it back without credentials
              (as Ironic fetches images) and deletes it: nothing is left behind
  delegate    the command is an executable file, its info answers, and api_version and
              stemcell_formats agree with what it answers
  plugins     the backend package loads
No secret is printed. Exit status: 0 all fine, 1 a problem was found, 2 usage error.

Options:
  -c, --config FILE   the config file (JSON or YAML), as the CPI gets it
  -h, --help          show this help
`;

/** How long the checks of one backend may take in all. */
const BACKEND_TIMEOUT_MS = 60_000;

type BackendCheck = (name: string, config: BackendConfig, report: Report, signal: AbortSignal) => Promise<void>;

/** The checks of each built-in type, loaded only for types the config uses. */
const BY_TYPE: Readonly<Record<string, () => Promise<BackendCheck[]>>> = {
  ironic: async () => {
    const [{ checkIronic }, { checkImageStore }] = await Promise.all([import('./doctor-ironic.js'), import('./doctor-image-store.js')]);
    return [(n, c, r, s) => checkIronic(n, c as IronicConfig, r, s), (n, c, r, s) => checkImageStore(n, c as IronicConfig, r, s)];
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

async function run(argv: readonly string[], io: CommandIo, secrets: Secrets): Promise<number> {
  const { config: file } = parseOptions(argv, { config: { type: 'string', short: 'c' } }, ['config']);
  const checks: Check[] = [];
  const loaded = await loadOperatorConfig(file!, secrets);
  const width = Math.max('config'.length, ...(loaded.ok ? [...loaded.config.backends.keys()].map((n) => n.length) : []));
  const report: Report = (check) => {
    checks.push(check);
    io.out(formatCheck(check, width));
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
          report(ok(backend.name, `backend package '${backend.config.type}' loads (contract ${backend.module.contract}), stemcell formats ${backend.module.stemcellFormats(backend.config).join(', ')}`));
          continue;
        }
        for (const check of await load()) await check(backend.name, backend.config, report, signal);
      } catch (error) {
        // A check that broke is a finding too, never a stack trace.
        report(problem(backend.name, `checking it failed: ${messageOf(error)}`, 'see the message'));
      }
    }
  }
  io.out(summary(checks));
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.findings;
}
