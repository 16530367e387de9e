// Secrets never reach stdout or stderr (docs/architecture.md#life-of-a-call): credentials from the config file, the
// agent's NATS certificate, password and blobstore credentials in create_vm's `env`, and
// credentials in cloud_properties and cpi-config context properties, in successful calls,
// failing calls, malformed requests and requests of many megabytes, with logging at debug.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BINARY,
  Workspace,
  describeRun,
  directorEnv,
  expectDirectorResponse,
  runCpi,
  type CpiRun,
  type KnownErrorType,
  type MemoryState,
} from './helpers/cpi.js';

const ws = new Workspace('secrets');
afterAll(() => ws.cleanup());

const PEM_BODY = [
  'MIIEowIBAAKCAQEAsVhQ2x9kLrT4nE8wq3YbZcF7uJm1pD0aGoKsHvXiWtRl5NeC',
  'yU2jA8dMfQ6bVz4hLpT9xKoE3rSiN7gWcY1mB5vDqJ0uHaZsXlP2eFtR8kCwGnOy',
  'Qb7Ud1Mz6VhJcE9pLxSa3TfKoN4wRgY0iBqZmD5uCvH8lPtWsXe2jAnFrOk1GyIb',
];
const SECRETS: Record<string, string> = {
  'config ironic.auth.password': 'Ir0nic-basic-pw-4f9c1a77',
  'config image_store.password': 'Dav-image-store-pw-8b2e7731',
  'env bosh.mbus.cert.private_key': `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY.join('\n')}\n-----END RSA PRIVATE KEY-----\n`,
  'env bosh.mbus.cert.certificate': '-----BEGIN CERTIFICATE-----\nMIIDCertificateBodyThatIsSecretEnough0123456789abcdefXYZ\n-----END CERTIFICATE-----\n',
  'env bosh.password': '$6$4gDD3aV0rdqlrKC$2axHCxGKIObs6tAmMTqYCspcdvQXh3JJcvWOY2WGb4SrdXtnCyNaWlrf3WEqvYR2MYizEGp3kMmbpwBC6jsHt0',
  'env bosh.blobstores[0].options.password': 'blobstore-agent-pw-c0ffee42',
  'cloud_properties ironic_params.driver_info.ipmi_password': 'ipmi-BMC-pw-31337-zz',
  'cloud_properties nested secret_token': 'nested-secret-token-9a8b7c6d',
  'disk cloud_properties encryption_key': 'disk-encryption-key-5d5d5d5d',
  'stemcell cloud_properties auth_token': 'stemcell-upload-token-e1e1e1e1',
  'context cpi-config property': 'cpi-config-api-key-77aa88bb',
};
// A leaked line of the PEM body is a leak too, even if the whole key never appears in one piece.
PEM_BODY.forEach((line, i) => {
  SECRETS[`env bosh.mbus.cert.private_key line ${i + 1}`] = line;
});

/** Each secret as it would appear raw, and as it would appear inside a JSON string. */
const NEEDLES = Object.entries(SECRETS).flatMap(([name, value]) => {
  const escaped = JSON.stringify(value).slice(1, -1);
  return escaped === value
    ? [[name, value]]
    : [
        [name, value],
        [`${name} (JSON-escaped)`, escaped],
      ];
});

function leaks(run: CpiRun): string[] {
  const found: string[] = [];
  for (const [stream, text] of [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ] as const) {
    for (const [name, needle] of NEEDLES) if (text.includes(needle!)) found.push(`${name} in ${stream}`);
  }
  return found;
}

/** The stderr lines, each of which must be a JSON log line. */
function logLines(run: CpiRun): Record<string, unknown>[] {
  return run.stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stderr holds a line that is not JSON: ${line.slice(0, 300)}`);
      }
    });
}

const ironicPort = 9; // discard: nothing listens on it here, and no call in this file may reach it
const stateFile = ws.path('mem.json');
const config = {
  default_backend: 'mem',
  log_level: 'debug',
  backends: {
    mem: { type: 'memory', stemcell_formats: ['vsphere-ova', 'vsphere-ovf'], state_file: stateFile },
    irn: {
      type: 'ironic',
      ironic: {
        url: `http://127.0.0.1:${ironicPort}`,
        auth: { type: 'http_basic', username: 'ironic-user', password: SECRETS['config ironic.auth.password'] },
      },
      image_store: { type: 'webdav', url: `http://127.0.0.1:${ironicPort}/images`, username: 'dav-user', password: SECRETS['config image_store.password'] },
    },
  },
};
const configFile = ws.writeConfig('cpi.json', config);
const image = ws.image('image');

const ENV = {
  bosh: {
    mbus: {
      cert: {
        ca: '-----BEGIN CERTIFICATE-----\nMIIDPublicCaIsFineButStillNotLogged\n-----END CERTIFICATE-----\n',
        certificate: SECRETS['env bosh.mbus.cert.certificate'],
        private_key: SECRETS['env bosh.mbus.cert.private_key'],
      },
    },
    password: SECRETS['env bosh.password'],
    blobstores: [
      { provider: 'dav', options: { endpoint: 'https://10.0.0.6:25250', user: 'agent', password: SECRETS['env bosh.blobstores[0].options.password'] } },
    ],
    group: 'bosh-dep-web',
    groups: ['bosh', 'dep', 'web', 'bosh-dep', 'dep-web', 'bosh-dep-web'],
  },
};
const VM_PROPS = {
  instance_type: 'bm.large',
  ironic_params: {
    driver: 'ipmi',
    driver_info: { ipmi_address: '10.1.0.5', ipmi_username: 'admin', ipmi_password: SECRETS['cloud_properties ironic_params.driver_info.ipmi_password'] },
  },
  extras: { deeper: { secret_token: SECRETS['cloud_properties nested secret_token'] } },
};
const NETWORKS = {
  default: { type: 'manual', ip: '10.0.0.10', netmask: '255.255.255.0', gateway: '10.0.0.1', default: ['dns', 'gateway'], cloud_properties: {} },
};
const DISK_PROPS = { type: 'ssd', encryption_key: SECRETS['disk cloud_properties encryption_key'] };
const STEMCELL_PROPS = { infrastructure: 'vsphere', disk_format: 'ovf', auth_token: SECRETS['stemcell cloud_properties auth_token'] };

let counter = 700000;
function context() {
  // cpi-config properties are merged into the context at top level; the director redacts them.
  return { director_uuid: 'dir-1', request_id: `cpi-${++counter}`, api_key: SECRETS['context cpi-config property'] };
}

interface Outcome {
  run: CpiRun;
  requestId: string | undefined;
}

async function call(body: Record<string, unknown> | string, configPath = configFile): Promise<Outcome> {
  if (typeof body === 'string') return { run: await runCpi(configPath, body, { tmp: ws.dir }), requestId: undefined };
  const ctx = context();
  const run = await runCpi(configPath, JSON.stringify({ context: ctx, ...body }), { tmp: ws.dir });
  return { run, requestId: ctx.request_id };
}

/**
 * The call leaked nothing, and the scan meant something: stderr holds the debug "request" line
 * and the info/error summary of this very call.
 */
function expectNoLeaks({ run, requestId }: Outcome): void {
  expect(leaks(run), describeRun(run)).toEqual([]);
  const lines = logLines(run);
  if (requestId === undefined) {
    expect(
      lines.some((l) => l['level'] === 'error'),
      `an error line on stderr\n${describeRun(run)}`,
    ).toBe(true);
  } else {
    const mine = lines.filter((l) => l['request_id'] === requestId);
    expect(
      mine.some((l) => l['level'] === 'debug' && l['msg'] === 'request'),
      `a debug "request" line for ${requestId}\n${describeRun(run)}`,
    ).toBe(true);
    expect(
      mine.some((l) => l['level'] === 'info' || l['level'] === 'error'),
      `an info or error line for ${requestId}\n${describeRun(run)}`,
    ).toBe(true);
  }
}

function expectOutcome({ run }: Outcome, type: KnownErrorType | null): unknown {
  const response = expectDirectorResponse(run);
  expect(response.error?.type ?? null, describeRun(run)).toBe(type);
  return response.result;
}

describe('secrets never appear on stdout or stderr', () => {
  let stemcell = '';
  let vm = '';

  beforeAll(async () => {
    // The scan is only as good as its needles: each must really be in the input we send.
    const input = JSON.stringify({ config, ENV, VM_PROPS, DISK_PROPS, STEMCELL_PROPS, context: context() });
    for (const [name, value] of Object.entries(SECRETS)) expect(input.includes(JSON.stringify(value).slice(1, -1)), name).toBe(true);
  });

  it('info', async () => {
    const outcome = await call({ method: 'info', arguments: [] });
    expectOutcome(outcome, null);
    expect(leaks(outcome.run)).toEqual([]);
  });

  it('a successful create_stemcell with secret-bearing cloud_properties', async () => {
    const outcome = await call({ method: 'create_stemcell', arguments: [image, STEMCELL_PROPS], api_version: 2 });
    stemcell = expectOutcome(outcome, null) as string;
    expectNoLeaks(outcome);
  });

  it('a failing create_stemcell (routed to the Ironic backend: its image is no gzipped tar)', async () => {
    const outcome = await call({
      method: 'create_stemcell',
      arguments: [image, { ...STEMCELL_PROPS, infrastructure: 'openstack', disk_format: 'qcow2' }],
      api_version: 2,
    });
    expectOutcome(outcome, 'Bosh::Clouds::CpiError');
    expectNoLeaks(outcome);
  });

  it('a successful create_vm with env credentials and secret cloud_properties', async () => {
    const outcome = await call({ method: 'create_vm', arguments: ['agent-1', stemcell, VM_PROPS, NETWORKS, [], ENV], api_version: 2 });
    [vm] = expectOutcome(outcome, null) as [string];
    expectNoLeaks(outcome);
  });

  it('a create_vm naming an unknown backend', async () => {
    const outcome = await call({ method: 'create_vm', arguments: ['agent-2', stemcell, { ...VM_PROPS, backend: 'nope' }, NETWORKS, [], ENV], api_version: 2 });
    expectOutcome(outcome, 'Bosh::Clouds::CpiError');
    expectNoLeaks(outcome);
  });

  it('a create_vm whose cloud_properties.backend is an object holding a secret (the error quotes the value)', async () => {
    const backend = { name: 'irn', secret_token: SECRETS['cloud_properties nested secret_token'] };
    const outcome = await call({ method: 'create_vm', arguments: ['agent-3', stemcell, { ...VM_PROPS, backend }, NETWORKS, [], ENV], api_version: 2 });
    expectOutcome(outcome, 'Bosh::Clouds::CpiError');
    expectNoLeaks(outcome);
  });

  it('a create_vm routed to the Ironic backend with a stemcell CID it cannot read', async () => {
    const outcome = await call({
      method: 'create_vm',
      arguments: ['agent-4', 'irn:sc-from-elsewhere', { ...VM_PROPS, backend: 'irn' }, NETWORKS, [], ENV],
      api_version: 2,
    });
    expectOutcome(outcome, 'Bosh::Clouds::CloudError');
    expectNoLeaks(outcome);
  });

  it('a successful create_disk with secret cloud_properties, and a failing one', async () => {
    const ok = await call({ method: 'create_disk', arguments: [1024, DISK_PROPS, vm], api_version: 2 });
    expectOutcome(ok, null);
    expectNoLeaks(ok);
    const failing = await call({ method: 'create_disk', arguments: [1024, DISK_PROPS, 'nope:vm-1'], api_version: 2 });
    expectOutcome(failing, 'Bosh::Clouds::CpiError');
    expectNoLeaks(failing);
  });

  it('delete_vm', async () => {
    const outcome = await call({ method: 'delete_vm', arguments: [vm], api_version: 2 });
    expectOutcome(outcome, null);
    expectNoLeaks(outcome);
  });

  const full = JSON.stringify({ method: 'create_vm', arguments: ['agent-5', 'mem:sc-1', VM_PROPS, NETWORKS, [], ENV], context: context(), api_version: 2 });
  const malformed: [string, string][] = [
    ['a truncated request with the env in it', full.slice(0, full.indexOf('-----END RSA') + 20)],
    ['a request with trailing garbage', `${full}}`],
    [
      'a create_vm with too many arguments',
      JSON.stringify({ method: 'create_vm', arguments: ['agent-5', 'mem:sc-1', VM_PROPS, NETWORKS, [], ENV, ENV], context: context() }),
    ],
    [
      'a create_vm with networks of the wrong type',
      JSON.stringify({ method: 'create_vm', arguments: ['agent-5', 'mem:sc-1', VM_PROPS, [NETWORKS], [], ENV], context: context() }),
    ],
    [
      'a create_vm with api_version "2"',
      JSON.stringify({ method: 'create_vm', arguments: ['agent-5', 'mem:sc-1', VM_PROPS, NETWORKS, [], ENV], context: context(), api_version: '2' }),
    ],
    [
      'an unknown method carrying the env',
      JSON.stringify({ method: 'create_vmm', arguments: ['agent-5', 'mem:sc-1', VM_PROPS, NETWORKS, [], ENV], context: context() }),
    ],
    ['a create_disk with a size of the wrong type', JSON.stringify({ method: 'create_disk', arguments: ['1024', DISK_PROPS, null], context: context() })],
  ];
  for (const [name, stdin] of malformed) {
    it(`a malformed request: ${name}`, async () => {
      const outcome = await call(stdin);
      const response = expectDirectorResponse(outcome.run);
      expect(response.error, describeRun(outcome.run)).not.toBeNull();
      expectNoLeaks(outcome);
    });
  }
});

describe('config file secrets never appear when the config file is broken', () => {
  // An operator edits cpi.yml by hand, or a template renders a value unquoted: the parse error
  // must say where the problem is without quoting the line it is on.
  const password = SECRETS['config ironic.auth.password']!;
  const info = JSON.stringify({ method: 'info', arguments: [], context: { director_uuid: 'd', request_id: 'cpi-000001' } });

  it('invalid YAML on the line that holds the Ironic password', async () => {
    const file = ws.writeConfig(
      'broken.yml',
      [
        'default_backend: irn',
        'log_level: debug',
        'backends:',
        '  irn:',
        '    type: ironic',
        '    ironic:',
        '      url: http://127.0.0.1:9',
        `      auth: {type: http_basic, username: u, password: "${password}"`,
        '    image_store: {type: webdav, url: "http://127.0.0.1:9/images"}',
        '',
      ].join('\n'),
    );
    const outcome = await call(info, file);
    expectOutcome(outcome, 'Bosh::Clouds::CpiError');
    expectNoLeaks(outcome);
  });

  it('JSON cut short right after the Ironic password', async () => {
    // A short value next to the fault: JSON.parse would quote the characters around it.
    const short = 'pw9Kq2xZ7';
    SECRETS['config ironic.auth.password (short, file cut short)'] = short;
    NEEDLES.push(['config ironic.auth.password (short, file cut short)', short]);
    const full = JSON.stringify(config).replace(JSON.stringify(password), JSON.stringify(short));
    const text = full.slice(0, full.indexOf(short) + short.length + 1);
    expect(text.endsWith(`"password":"${short}"`)).toBe(true);
    const outcome = await call(info, ws.writeConfig('broken.json', text));
    expectOutcome(outcome, 'Bosh::Clouds::CpiError');
    expectNoLeaks(outcome);
  });

  it('a config that fails validation does not echo the Ironic credentials', async () => {
    const bad = JSON.parse(JSON.stringify(config)) as { backends: { irn: { ironic: { auth: Record<string, unknown> } } } };
    bad.backends.irn.ironic.auth['password'] = { nested: password };
    const outcome = await call(info, ws.writeConfig('invalid.json', bad));
    expectOutcome(outcome, 'Bosh::Clouds::CpiError');
    expectNoLeaks(outcome);
  });
});

describe('requests of many megabytes answer validly, with no secret on either stream', () => {
  // cpi-config properties arrive in `context`, and the director treats all of them as secret: an
  // 8 MiB one made the scrubber's single regular expression too large for V8, and the crash
  // message printed it, configured passwords included.
  const bigValue = (mib: number, seed: string) => {
    const line = `${seed} "quoted" \\ back-slashed, ${'z'.repeat(60)}\n`;
    return line.repeat(Math.ceil((mib << 20) / line.length)).slice(0, mib << 20);
  };

  /** The request's big value, raw or JSON-escaped, nowhere in the output. */
  function expectWithheld(run: CpiRun, value: string): void {
    for (const [stream, text] of [
      ['stdout', run.stdout],
      ['stderr', run.stderr],
    ] as const) {
      expect(text.includes(value.slice(0, 4096)), `the big value in ${stream}`).toBe(false);
      expect(text.includes(JSON.stringify(value).slice(1, 4097)), `the big value, escaped, in ${stream}`).toBe(false);
    }
  }

  it('an 8 MiB info request (a string in context)', async () => {
    const value = bigValue(8, 'cpi-config');
    const outcome = await call({ method: 'info', arguments: [], context: { ...context(), huge_property: value } });
    const response = expectDirectorResponse(outcome.run);
    expect(response.error, describeRun(outcome.run)).toBeNull();
    expect(response.result).toMatchObject({ api_version: 2 });
    expect(response.log).toMatch(/^info → core: ok \(\d+ ms\)\n$/);
    expect(leaks(outcome.run), describeRun(outcome.run)).toEqual([]);
    expectWithheld(outcome.run, value);
  });

  it('a 16 MiB set_vm_metadata (a tag value), logged at debug', async () => {
    const stemcell = expectOutcome(await call({ method: 'create_stemcell', arguments: [image, STEMCELL_PROPS], api_version: 2 }), null) as string;
    const created = await call({ method: 'create_vm', arguments: ['agent-big', stemcell, VM_PROPS, NETWORKS, [], ENV], api_version: 2 });
    const [vm] = expectOutcome(created, null) as [string];
    const value = bigValue(16, 'metadata');
    const outcome = await call({
      method: 'set_vm_metadata',
      arguments: [vm, { director: 'bosh', description: value, owner_token: SECRETS['cloud_properties nested secret_token'] }],
      api_version: 2,
    });
    expectOutcome(outcome, null);
    expectNoLeaks(outcome);
    // Not a secret, but no log line quotes 16 MiB of it either.
    expect(outcome.run.stderr.length, describeRun(outcome.run)).toBeLessThan(1 << 20);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as MemoryState;
    expect(state.vms[vm.slice('mem:'.length)]?.metadata['description']).toBe(value);
  });
});

describe('when not even a response can be written', () => {
  it("exits 1 with the error's kind and stack frames on stderr, never its message", async () => {
    // The reader goes away before the response: writing it fails with EPIPE.
    const child = spawn(BINARY, ['--config', configFile], { env: directorEnv(ws.dir), cwd: ws.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.stdin.end(JSON.stringify({ method: 'info', arguments: [], context: context() }));
    });
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/\nhybrid-cpi: internal error \(Error\); its message is withheld, as it may hold secrets\n(\s+at .*\n)+$/);
    expect(stderr).not.toContain('EPIPE');
    expect(leaks({ stdout: '', stderr, exitCode: code, signal: null, ms: 0 })).toEqual([]);
  });
});
