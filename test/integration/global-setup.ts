import type { TestProject } from 'vitest/node';
import { startIronic, type IronicLab } from '../support/ironic-lab.js';

declare module 'vitest' {
  export interface ProvidedContext {
    ironicUrl: string;
    ironicDir: string;
  }
}

let lab: IronicLab | undefined;

/** One real Ironic for the whole integration run; each test enrolls its own nodes. */
export async function setup(project: TestProject): Promise<void> {
  lab = await startIronic();
  project.provide('ironicUrl', lab.url);
  project.provide('ironicDir', lab.dir);
}

export async function teardown(): Promise<void> {
  await lab?.stop();
}
