import fs from 'node:fs';
import path from 'node:path';
import { finding, type DoctorContext } from '@hybrid-cpi/core';
import type { DelegateConfig } from './config.js';
import type { Spawn } from './exec-cpi.js';
import { configuredApiVersion, probeInfo } from './info-probe.js';

/** How long `info` may take: it answers from config in every CPI we know. */
const INFO_TIMEOUT_MS = 30_000;

/**
 * A delegate backend: its command is an executable file, and its `info` answers, run the way the
 * backend runs every call; then what it answers is compared with what the config says of it.
 */
export async function checkDelegate(config: DelegateConfig, { name, report, signal, seams }: DoctorContext): Promise<void> {
  const key = `backends.${name}`;
  const file = config.command[0]!;
  const found = findExecutable(file, config.env?.['PATH'] ?? process.env['PATH'] ?? '');
  if (!found.ok)
    return report(
      finding.problem(
        found.problem,
        `install that CPI on this machine, or correct ${key}.command[0] (an absolute path: the director passes only PATH, TMPDIR and HOME)`,
      ),
    );
  if (!found.executable) return report(finding.problem(`command ${found.path} is not executable`, `chmod +x ${found.path}, or correct ${key}.command[0]`));
  report(finding.ok(`command ${found.path} is executable`));

  const answer = await probeInfo(config, { timeoutMs: INFO_TIMEOUT_MS, signal, spawn: seams.spawn as Spawn | undefined });
  const shown = `printf '{"method":"info","arguments":[],"context":{}}' | ${config.command.join(' ')}`;
  if (!answer.ok)
    return report(
      finding.problem(
        `its info call failed: ${answer.problem}`,
        `run \`${shown}\` to see what it does: stdout must hold only the JSON response, logs go to stderr`,
      ),
    );
  const formats = answer.stemcellFormats;
  report(finding.ok(`info answers api_version ${answer.apiVersion ?? '(none)'}, stemcell_formats ${formats === undefined ? '(none)' : formats.join(', ')}`));

  // The director takes a missing api_version as 1.
  const reported = answer.apiVersion ?? 1;
  const configured = configuredApiVersion(config);
  if (configured > reported) {
    report(
      finding.problem(
        `${key}.api_version is ${configured}${config.api_version === undefined ? ' (the default)' : ''}, but the CPI speaks ${reported}`,
        `set ${key}.api_version: ${reported}`,
      ),
    );
  }
  if (formats !== undefined) {
    const unknown = config.stemcell_formats.filter((f) => !formats.includes(f));
    if (unknown.length > 0) {
      report(
        finding.problem(
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
