// stdout carries the response and nothing else: a backend plugin that prints through console or
// process.stdout, on load and during a call, is heard on stderr, and the response stays intact.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Cpi, Workspace, describeRun } from './helpers/cpi.js';

const ws = new Workspace('stdout');
afterAll(() => ws.cleanup());

/** An npm backend package that talks too much; plain CommonJS, so it needs nothing installed. */
const NOISY_PLUGIN = `
console.log('noisy: loading');
process.stdout.write('noisy: raw write on load\\n');
module.exports = {
  type: 'noisy-backend',
  contract: 2,
  configSchema: { type: 'object' },
  stemcellFormats: () => ['raw'],
  create: async () => ({
    hasVm: async (ctx, vm) => {
      console.log('noisy: console.log in has_vm', vm);
      console.info('noisy: console.info');
      console.debug('noisy: console.debug');
      process.stdout.write('noisy: process.stdout.write\\n');
      return true;
    },
  }),
};
`;

describe('stdout', () => {
  it('holds only the response when a plugin prints on load and during the call', async () => {
    const pkg = ws.path('node_modules/noisy-backend');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(`${pkg}/package.json`, JSON.stringify({ name: 'noisy-backend', version: '1.0.0', main: 'index.js' }));
    fs.writeFileSync(`${pkg}/index.js`, NOISY_PLUGIN);
    const cpi = new Cpi(ws.writeConfig('cpi.json', { backends: { noisy: { type: 'noisy-backend' } } }), ws.dir);

    const { run, response } = await cpi.call('has_vm', ['noisy:vm-1'], { apiVersion: 2 });

    expect(response, describeRun(run)).toMatchObject({ result: true, error: null });
    expect(run.stdout).toBe(JSON.stringify(response));
    for (const line of [
      'noisy: loading',
      'noisy: raw write on load',
      'noisy: console.log in has_vm vm-1',
      'noisy: console.info',
      'noisy: console.debug',
      'noisy: process.stdout.write',
    ]) {
      expect(run.stderr).toContain(line);
    }
  });
});
