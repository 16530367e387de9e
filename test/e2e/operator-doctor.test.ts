// `hybrid-cpi doctor` through the built executable for what needs no server: backends of a plugin
// package (one that loads, one that is not installed) and of the memory type, and a config file
// that does not exist. Servers (Ironic, WebDAV, delegates) are in operator-ironic.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Workspace } from './helpers/cpi.js';
import { expectGolden, normalise, runCommand } from './helpers/golden.js';

const ws = new Workspace('operator-doctor');
afterAll(() => ws.cleanup());
const norm = (text: string) => normalise(text, { '<ws>': ws.dir });

/** A third-party backend package installed next to the config, as plugins are found. */
function installPlugin(name: string): void {
  const dir = ws.path('node_modules', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    `module.exports = { type: ${JSON.stringify(name)}, contract: 2, configSchema: { type: 'object', required: ['type'], properties: { type: { const: ` +
      `${JSON.stringify(name)} } } }, stemcellFormats: () => ['example-raw'], create: () => { throw new Error('doctor must not create it'); } };\n`,
  );
}

describe('doctor without servers', () => {
  it('a plugin backend that loads and a memory backend: all ok, exit 0', async () => {
    installPlugin('hybrid-cpi-backend-example');
    const config = ws.writeConfig(
      'plugin.yml',
      'default_backend: example\nbackends:\n  example: {type: hybrid-cpi-backend-example}\n  mem: {type: memory, stemcell_formats: [openstack-raw]}\n',
    );
    const run = await runCommand(['doctor', '--config', config], ws.dir);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    await expectGolden('doctor-plugin.txt', norm(run.stdout));
  });

  it('a plugin package that is not installed, and a config file that does not exist: problems, exit 1', async () => {
    const config = ws.writeConfig('missing-plugin.json', { backends: { example: { type: 'hybrid-cpi-backend-absent' } } });
    const missingPlugin = await runCommand(['doctor', '--config', config], ws.dir);
    const missingFile = await runCommand(['doctor', '--config', ws.path('nowhere.yml')], ws.dir);
    for (const run of [missingPlugin, missingFile]) {
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toBe('');
    }
    await expectGolden('doctor-not-loadable.txt', norm(missingPlugin.stdout + missingFile.stdout));
  });
});
