// What `hybrid-cpi doctor` checks of this backend (BackendModule.operator): loaded only by the
// operator commands, never by a CPI call.
import fs from 'node:fs';
import { finding, type BackendOperator } from '@hybrid-cpi/core';
import type { ExampleConfig } from './index.js';

export const exampleOperator: BackendOperator<ExampleConfig> = {
  async doctor(config, ctx) {
    const key = `backends.${ctx.name}.directory`;
    try {
      if (!fs.statSync(config.directory).isDirectory()) {
        return ctx.report(finding.problem(`${config.directory} is not a directory`, `point ${key} at a directory`));
      }
      fs.accessSync(config.directory, fs.constants.R_OK | fs.constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return ctx.report(finding.problem(`${config.directory} does not exist`, `create it, or correct ${key}`));
      return ctx.report(finding.problem(`${config.directory} cannot be read and written (${code})`, 'let the user the CPI runs as (vcap) read and write it'));
    }
    ctx.report(finding.ok(`records directory ${config.directory} is writable`));
  },
};
