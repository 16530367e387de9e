import fs from 'node:fs';
import path from 'node:path';
import { configuredApiVersion, probeInfo, type DelegateConfig } from '@hybrid-cpi/backend-delegate/operator';
import { ok, problem, type Report } from './checks.js';

/** How long `info` may take: it answers from config in every CPI we know. */
const INFO_TIMEOUT_MS = 30_000;

/**
 * A delegate backend: its command is an executable file, and its `info` answers, run the way the
 * backend runs every call; then what it answers is compared with what the config says of it.
 */
export async function checkDelegate(name: string, config: DelegateConfig, report: Report, signal: AbortSignal): Promise<void> {
  const key = `backends.${name}`;
  const file = config.command[0]!;
  const found = findExecutable(file, config.env?.['PATH'] ?? process.env['PATH'] ?? '');
  if (!found.ok)
    return report(
      problem(
        name,
        found.problem,
        `install that CPI on this machine, or correct ${key}.command[0] (an absolute path: the director passes only PATH, TMPDIR and HOME)`,
      ),
    );
  if (!found.executable) return report(problem(name, `command ${found.path} is not executable`, `chmod +x ${found.path}, or correct ${key}.command[0]`));
  report(ok(name, `command ${found.path} is executable`));

  const answer = await probeInfo(config, { timeoutMs: INFO_TIMEOUT_MS, signal });
  const shown = `printf '{"method":"info","arguments":[],"context":{}}' | ${config.command.join(' ')}`;
  if (!answer.ok)
    return report(
      problem(
        name,
        `its info call failed: ${answer.problem}`,
        `run \`${shown}\` to see what it does: stdout must hold only the JSON response, logs go to stderr`,
      ),
    );
  const formats = answer.stemcellFormats;
  report(ok(name, `info answers api_version ${answer.apiVersion ?? '(none)'}, stemcell_formats ${formats === undefined ? '(none)' : formats.join(', ')}`));

  // The director takes a missing api_version as 1.
  const reported = answer.apiVersion ?? 1;
  const configured = configuredApiVersion(config);
  if (configured > reported) {
    report(
      problem(
        name,
        `${key}.api_version is ${configured}${config.api_version === undefined ? ' (the default)' : ''}, but the CPI speaks ${reported}`,
        `set ${key}.api_version: ${reported}`,
      ),
    );
  }
  if (formats !== undefined) {
    const unknown = config.stemcell_formats.filter((f) => !formats.includes(f));
    if (unknown.length > 0) {
      report(
        problem(
          name,
          `${key}.stemcell_formats lists ${unknown.join(', ')}, which the CPI does not report`,
          `list only formats the CPI reports (${formats.join(', ')})`,
        ),
      );
    }
  }
}

type Found = { ok: true; path: string; executable: boolean } | { ok: false; problem: string };

/** The command as spawn would find it: a path as given, a bare name on PATH. */
function findExecutable(command: string, searchPath: string): Found {
  const candidates = command.includes('/')
    ? [command]
    : searchPath
        .split(':')
        .filter((d) => d !== '')
        .map((d) => path.join(d, command));
  for (const candidate of candidates) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(candidate);
    } catch {
      continue;
    }
    if (!stat.isFile()) return { ok: false, problem: `command ${candidate} is not a file` };
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return { ok: true, path: candidate, executable: true };
    } catch {
      return { ok: true, path: candidate, executable: false };
    }
  }
  return { ok: false, problem: command.includes('/') ? `command ${command} does not exist` : `command ${command} is not on PATH (${searchPath})` };
}
