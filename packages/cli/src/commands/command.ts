import type { Resolver } from '../tokens.js';

/** Exit codes of the operator commands. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** Where a command writes: its report on `out` (stdout), diagnostics on `err` (stderr). */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** `out` is a terminal: a person watches, so progress is worth a line. */
  readonly terminal: boolean;
}

/**
 * An operator command of the hybrid-cpi executable (`hybrid-cpi <name> ...`). Unlike a CPI call,
 * it talks to a person: a report on stdout, exit 0 (fine), 1 (findings) or 2 (usage).
 */
export interface OperatorCommand {
  readonly name: string;
  /** The full `--help` text. */
  readonly usage: string;
  /** `container`: the composition root (packages/cli/src/compose.ts), which every collaborator comes from. */
  run(argv: readonly string[], io: CommandIo, container: Resolver): Promise<number>;
}
