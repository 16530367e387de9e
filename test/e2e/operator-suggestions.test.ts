// Mistakes an operator makes in the first hour, and what the built executable says about them: a
// misspelt command or option, a misspelt config key or backend name, a config file that is not
// there, and a config with many problems (all of them at once). Golden transcript under
// test/e2e/golden/suggestions.txt.
import { afterAll, describe, expect, it } from 'vitest';
import { Workspace, expectDirectorResponse, runCpi } from './helpers/cpi.js';
import { expectGolden, normalise, runCommand } from './helpers/golden.js';

const ws = new Workspace('suggestions');
afterAll(() => ws.cleanup());

describe('mistakes get suggestions', () => {
  it('commands, options, config keys and backend names: the closest one; a missing file by name; every config problem at once', async () => {
    ws.writeConfig('mem.json', { backends: { mem: { type: 'memory', stemcell_formats: ['openstack-raw'] } } });
    ws.writeConfig(
      'typo.yml',
      'default_bakend: metal\nbackends:\n  metal:\n    type: ironic\n    ironic: {url: "http://10.0.0.5:6385", auht: {type: noauth}}\n',
    );
    ws.writeConfig(
      'everything.yml',
      [
        'default_backend: Metal',
        'log_levle: debug',
        'backends:',
        '  Metal:',
        '    type: ironic',
        '    ironic: {url: "ftp://10.0.0.5"}',
        '    claim: sometimes',
        '  vms:',
        '    type: delegate',
        '    command: []',
        '',
      ].join('\n'),
    );
    const cases = [
      ['valdiate', '--config', 'mem.json'],
      ['docter', '--config', 'mem.json'],
      ['nods'],
      ['validate', '--config', 'mem.json', '--cloudconfig', 'cloud.yml'],
      ['lifecycle', '--config', 'mem.json', '--backend', 'me'],
      ['validate', '--config', 'typo.yml'],
      ['validate', '--config', 'nope.yml'],
      ['validate', '--config', 'everything.yml'],
    ];
    const transcript: string[] = [];
    for (const argv of cases) {
      const run = await runCommand(argv, ws.dir);
      expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
      transcript.push(`$ hybrid-cpi ${argv.join(' ')}\nexit ${run.exitCode}\n${run.stdout}${run.stderr}`);
    }
    // A CPI call names a missing config file the same way, in its error response.
    const call = await runCpi('nope.yml', { method: 'info', arguments: [], context: {} }, { tmp: ws.dir });
    transcript.push(`$ hybrid-cpi --config nope.yml < info.json\n${JSON.stringify(expectDirectorResponse(call).error)}\n`);
    const text = normalise(transcript.join('\n'), { '<ws>': ws.dir });
    await expectGolden('suggestions.txt', text);
    expect(text).toContain("'valdiate' is not a command; did you mean `validate`?");
    expect(text).toContain('default_bakend: is not a known key; did you mean `default_backend`?');
    expect(text).toContain('config file nope.yml does not exist');
  });
});
