import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type CpiError } from '@hybrid-cpi/core';
import { builtins, writeConfig } from './helpers.js';

const memory = (formats = ['openstack-qcow2']) => ({ type: 'memory', stemcell_formats: formats });
const plugins = path.resolve(import.meta.dirname, '../fixtures/plugins');

async function problems(content: unknown, name?: string): Promise<string> {
  try {
    await loadConfig(writeConfig(content, name), builtins);
  } catch (error) {
    expect((error as CpiError).code).toBe('CPX_CONFIG');
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('loadConfig', () => {
  it('reads JSON; a single backend is the default; the result is frozen', async () => {
    const config = await loadConfig(writeConfig({ backends: { metal: memory() } }), builtins);
    expect(config.defaultBackend).toBe('metal');
    expect(config.legacyBackend).toBeUndefined();
    expect(config.logLevel).toBe('info');
    expect(Object.isFrozen(config.raw.backends['metal'])).toBe(true);
  });

  it("takes relative paths of the keys a module names (and plugin_paths) relative to the config file's directory", async () => {
    const file = writeConfig({
      plugin_paths: ['plugins', '/opt/plugins'],
      backends: { metal: { ...memory(), state_file: 'state/metal.json' }, vms: { ...memory(), state_file: '/var/state.json' } },
      default_backend: 'metal',
    });
    const dir = path.dirname(file);
    const config = await loadConfig(file, builtins);
    expect(config.raw.plugin_paths).toEqual([path.join(dir, 'plugins'), '/opt/plugins']);
    expect(config.backends.get('metal' as never)?.config['state_file']).toBe(path.join(dir, 'state/metal.json'));
    expect(config.backends.get('vms' as never)?.config['state_file']).toBe('/var/state.json');
  });

  it('reads YAML', async () => {
    const yaml =
      'default_backend: vms\nlegacy_backend: vms\nlog_level: debug\nbackends:\n  metal: {type: memory, stemcell_formats: [openstack-raw]}\n  vms:\n   ' +
      ' type: memory\n    stemcell_formats: [vsphere-ova]\n';
    const config = await loadConfig(writeConfig(yaml, 'cpi.yml'), builtins);
    expect([config.defaultBackend, config.legacyBackend, config.logLevel]).toEqual(['vms', 'vms', 'debug']);
  });

  it('names the key path of every problem at once', async () => {
    const message = await problems({
      bogus: 1,
      log_level: 'loud',
      default_backend: 'gone',
      backends: { metal: { ...memory(), colour: 'red' }, vms: { type: 'memory', stemcell_formats: 'vsphere-ova' }, 'Bad:Name': memory() },
    });
    expect(message).toContain('bogus: is not a known key');
    expect(message).toContain('log_level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"');
    expect(message).toContain('backends["Bad:Name"]: is not a valid name (must match pattern "^[a-z][a-z0-9_-]{0,31}$")');
    // The problems below the top level are not hidden by those above.
    expect(message).toContain('backends.metal.colour: is not a known key');
    expect(message).toContain('backends.vms.stemcell_formats: must be array');
    expect(message).toContain("default_backend: names 'gone', which is not one of the backends (metal, vms, Bad:Name)");
  });

  it('an invalid backend name hides nothing: its own section and the others are checked too', async () => {
    const message = await problems({
      default_backend: 'Metal',
      backends: { Metal: { type: 'memory', stemcell_formats: 'x', colour: 'red' }, vms: { type: 'memory' } },
    });
    expect(message.split('\n- ').slice(1)).toEqual([
      'default_backend: must match pattern "^[a-z][a-z0-9_-]{0,31}$"',
      'backends.Metal: is not a valid name (must match pattern "^[a-z][a-z0-9_-]{0,31}$")',
      'backends.Metal.colour: is not a known key',
      'backends.Metal.stemcell_formats: must be array',
      'backends.vms.stemcell_formats: is required',
    ]);
  });

  it('suggests the key meant by a misspelt one, at the top level and in a backend section', async () => {
    const message = await problems({ default_bakend: 'metal', backends: { metal: { ...memory(), state_fiel: '/tmp/x' } } });
    expect(message).toContain('default_bakend: is not a known key; did you mean `default_backend`?');
    expect(message).toContain('backends.metal.state_fiel: is not a known key; did you mean `state_file`?');
    expect(await problems({ default_backend: 'metl', backends: { metal: memory(), vms: memory() } })).toContain(
      "default_backend: names 'metl', which is not one of the backends (metal, vms); did you mean `metal`?",
    );
    // Nothing close: no guess.
    expect(await problems({ backends: { metal: { ...memory(), colour: 'red' } } })).toMatch(/backends\.metal\.colour: is not a known key$/m);
  });

  it('checks each backend section with its module schema', async () => {
    const message = await problems({
      default_backend: 'gone',
      backends: { metal: { ...memory(), colour: 'red' }, vms: { type: 'memory', stemcell_formats: 'x' } },
    });
    expect(message).toContain("default_backend: names 'gone', which is not one of the backends (metal, vms)");
    expect(message).toContain('backends.metal.colour: is not a known key');
    expect(message).toContain('backends.vms.stemcell_formats: must be array');
  });

  it('needs default_backend when there are several backends', async () => {
    expect(await problems({ backends: { a: memory(), b: memory() } })).toContain('default_backend: is required when there is more than one backend (a, b)');
  });

  it('reports a missing file and unparsable JSON or YAML', async () => {
    await expect(loadConfig('/nonexistent/nope.yml', builtins)).rejects.toThrowError(/^config file \/nonexistent\/nope.yml does not exist$/);
    await expect(loadConfig(plugins, builtins)).rejects.toThrowError(/^config file .* is a directory, not a file$/);
    expect(await problems('{"backends": ')).toMatch(/Parsing config file .*: not valid JSON or YAML \(Flow map must end with a \} at line 1, column 14\)/);
    expect(await problems('backends: [unclosed', 'cpi.yml')).toMatch(/Parsing config file .*: not valid JSON or YAML \(.* at line 1, column \d+/);
  });

  it('never quotes the broken source, which holds credentials', async () => {
    const message = await problems('backends:\n  m:\n    auth: {type: http_basic, password: "s3cret-pw-1234"\n  x: 1\n', 'cpi.yml');
    expect(message).toMatch(/line \d+, column \d+/);
    expect(message).not.toContain('s3cret');
    expect(await problems('{"backends": {"m": {"password": s3cret-pw-1234 }')).not.toContain('s3cret');
  });

  it('reads JSON that only YAML accepts, since YAML is a superset', async () => {
    const config = await loadConfig(writeConfig('{"backends": {"m": {"type": "memory", "stemcell_formats": [openstack-raw]}}}'), builtins);
    expect(config.backends.get(config.defaultBackend)?.config['stemcell_formats']).toEqual(['openstack-raw']);
  });

  it('loads a backend type from an npm package in plugin_paths and validates its section', async () => {
    const config = await loadConfig(
      writeConfig({ plugin_paths: [plugins], backends: { echo: { type: 'hybrid-cpi-backend-echo', greeting: 'hi' } } }),
      builtins,
    );
    expect(config.backends.get(config.defaultBackend)?.module.stemcellFormats({ type: 'x' })).toEqual(['echo-raw']);
    expect(await problems({ plugin_paths: [plugins], backends: { echo: { type: 'hybrid-cpi-backend-echo' } } })).toContain(
      'backends.echo.greeting: is required',
    );
  });

  it('refuses a package that breaks the contract, and a type nobody provides', async () => {
    await expect(loadConfig(writeConfig({ plugin_paths: [plugins], backends: { old: { type: 'hybrid-cpi-backend-old' } } }), builtins)).rejects.toThrowError(
      /backend type 'hybrid-cpi-backend-old': it implements backend contract 0, this core implements 2/,
    );
    await expect(loadConfig(writeConfig({ backends: { x: { type: 'no-such-backend' } } }), builtins)).rejects.toThrowError(
      /backend type 'no-such-backend': it is not a built-in type \(memory\) and no npm package of that name is installed/,
    );
  });

  it('lists a package that does not load among the other problems, not instead of them', async () => {
    const message = await problems({ default_backend: 'x', backends: { x: { type: 'no-such-backend' }, m: { ...memory(), colour: 'red' } } });
    expect(message).toMatch(/^- backends\.x\.type: Loading backend type 'no-such-backend': it is not a built-in type/m);
    expect(message).toContain('backends.m.colour: is not a known key');
  });
});
