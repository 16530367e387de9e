import { finding, messageOf } from '@hybrid-cpi/core';
import { TOKENS, resolve, type Resolver } from '../tokens.js';
import { parseOptions } from './options.js';
import { runReport } from './report.js';
import { checkOf, formatCheck, summary, type Check, type Report } from './checks.js';
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

export const doctor: OperatorCommand = {
  name: 'doctor',
  usage: USAGE,
  run: (argv, io, container) => runReport('doctor', io, container, (io) => run(argv, io, container)),
};

/** What `--json` prints, from the same checks the text shows one by one. */
export interface DoctorReport {
  readonly config: string;
  readonly checks: readonly Check[];
  readonly problems: number;
  readonly warnings: number;
}

async function run(argv: readonly string[], io: CommandIo, container: Resolver): Promise<number> {
  const { config: file, json } = parseOptions(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, ['config']);
  const checks: Check[] = [];
  const loaded = await loadOperatorConfig(file!, container);
  const width = Math.max('config'.length, ...(loaded.ok ? [...loaded.config.backends.keys()].map((n) => n.length) : []));
  const report: Report = (check) => {
    checks.push(check);
    if (!json) io.out(formatCheck(check, width));
  };

  if (!loaded.ok) {
    for (const { text, fix } of loaded.problems) report(checkOf('config', finding.problem(text, fix)));
  } else {
    const { config } = loaded;
    report(checkOf('config', finding.ok(`${file} is valid: backends ${describeBackends(config)}; default ${config.defaultBackend}`)));
    const seams = resolve(container, TOKENS.seams);
    for (const { name, module, config: section } of config.backends.values()) {
      const signal = AbortSignal.timeout(BACKEND_TIMEOUT_MS);
      try {
        // The backend's own checks (BackendModule.operator), loaded only for the types the config uses.
        const doctor = (await module.operator?.())?.doctor;
        if (doctor === undefined) {
          // Loading it (done with the config) is what can be checked without its help.
          const formats = module.stemcellFormats(section).join(', ');
          report(checkOf(name, finding.ok(`backend package '${section.type}' loads (contract ${module.contract}), stemcell formats ${formats}`)));
          continue;
        }
        await doctor(section, { name, seams, signal, report: (found) => report(checkOf(name, found)) });
      } catch (error) {
        // A check that broke is a finding too, never a stack trace.
        report(checkOf(name, finding.problem(`checking it failed: ${messageOf(error)}`, 'see the message')));
      }
    }
  }
  const count = (status: Check['status']) => checks.filter((c) => c.status === status).length;
  const result: DoctorReport = { config: file!, checks, problems: count('problem'), warnings: count('warning') };
  io.out(json ? `${JSON.stringify(result, null, 2)}\n` : summary(checks));
  return result.problems === 0 ? EXIT.ok : EXIT.findings;
}
