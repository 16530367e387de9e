import type { OperatorCommand } from './command.js';

export interface CommandEntry {
  /** One line for `hybrid-cpi --help`. */
  readonly summary: string;
  readonly load: () => Promise<OperatorCommand>;
}

/** The operator commands, each loaded only when it is run (a CPI call never loads any). */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {};
