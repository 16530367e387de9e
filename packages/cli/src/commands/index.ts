import type { OperatorCommand } from './command.js';

export interface CommandEntry {
  /** One line for `hybrid-cpi --help`. */
  readonly summary: string;
  readonly load: () => Promise<OperatorCommand>;
}

/** The operator commands, each loaded only when it is run (a CPI call never loads any). */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  doctor: { summary: 'reach every backend and say what is wrong and how to fix it', load: async () => (await import('./doctor.js')).doctor },
  lifecycle: { summary: 'run the lifecycle conformance suite against a live backend', load: async () => (await import('./lifecycle.js')).lifecycle },
};
