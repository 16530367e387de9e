import type { OperatorCommand } from './command.js';

export interface CommandEntry {
  /** One line for `hybrid-cpi --help`. */
  readonly summary: string;
  readonly load: () => Promise<OperatorCommand>;
}

/** The operator commands, each loaded only when it is run (a CPI call never loads any). */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  validate: { summary: 'check the config and where each vm_type/disk_type of a cloud-config goes', load: async () => (await import('./validate.js')).validate },
  explain: { summary: 'dry-run the node choice of one vm_type: the node taken, why not the others', load: async () => (await import('./explain.js')).explain },
  nodes: { summary: 'list the Ironic nodes: state, BOSH VM, local disks, free/reserved/quarantined', load: async () => (await import('./nodes.js')).nodes },
  doctor: { summary: 'reach every backend and say what is wrong and how to fix it', load: async () => (await import('./doctor.js')).doctor },
  lifecycle: { summary: 'run the lifecycle conformance suite against a live backend', load: async () => (await import('./lifecycle.js')).lifecycle },
};
