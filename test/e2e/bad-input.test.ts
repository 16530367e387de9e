// Bad input never breaks the protocol (docs/architecture.md#the-protocol): whatever
// arrives on stdin, and whatever is wrong with the config file, the process writes exactly one
// valid response with a known error type to stdout, exits 0, and changes nothing.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, describeRun, expectDirectorResponse, mapLimit, responseProblems, runCpi, writeMemoryState, type KnownErrorType } from './helpers/cpi.js';

const ws = new Workspace('bad-input');
afterAll(() => ws.cleanup());

const CPI_ERROR: KnownErrorType = 'Bosh::Clouds::CpiError';
const NOT_IMPLEMENTED: KnownErrorType = 'Bosh::Clouds::NotImplemented';

// Two memory backends and no legacy_backend, so an unprefixed CID or an unknown prefix is an
// error. The state files hold resources the valid-looking parts of the requests name.
const stateDir = ws.path('state');
fs.mkdirSync(stateDir);
const stateFiles = { metal: `${stateDir}/metal.json`, vms: `${stateDir}/vms.json` };
writeMemoryState(stateFiles.metal, {
  stemcells: { 'sc-1': { imagePath: '/var/vcap/data/tmp/image' } },
  vms: { 'vm-1': { agentId: 'agent-1', stemcell: 'sc-1', disks: ['disk-1'], metadata: { director: 'bosh' }, reboots: 0 } },
  disks: { 'disk-1': { size: 1024, vm: 'vm-1', metadata: {} }, 'disk-2': { size: 2048, vm: null, metadata: {} } },
  snapshots: { 'snap-1': { disk: 'disk-1' } },
});
writeMemoryState(stateFiles.vms, {
  stemcells: { 'sc-9': { imagePath: '/var/vcap/data/tmp/image' } },
  vms: { 'vm-9': { agentId: 'agent-9', stemcell: 'sc-9', disks: [], metadata: {}, reboots: 2 } },
  disks: {},
  snapshots: {},
});
const configFile = ws.writeConfig('cpi.json', {
  default_backend: 'metal',
  log_level: 'debug',
  backends: {
    metal: { type: 'memory', stemcell_formats: ['openstack-qcow2'], state_file: stateFiles.metal },
    vms: { type: 'memory', stemcell_formats: ['vsphere-ova'], state_file: stateFiles.vms },
  },
});

/** Every file under the state directory, with its bytes. */
function snapshotState(): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(stateDir)
      .sort()
      .map((f) => [f, fs.readFileSync(`${stateDir}/${f}`, 'base64')]),
  );
}
const initialState = snapshotState();

const run = (stdin: string | Buffer, config = configFile) => runCpi(config, stdin, { tmp: ws.dir });
const req = (body: Record<string, unknown>) => JSON.stringify({ context: { director_uuid: 'd-1', request_id: 'cpi-123456' }, ...body });

describe('each kind of bad request gets one valid error response and exit 0', () => {
  const cases: [name: string, stdin: string | Buffer, type: KnownErrorType, message?: RegExp][] = [
    ['empty stdin', '', CPI_ERROR],
    ['only whitespace', ' \n\t\r\n  ', CPI_ERROR],
    ['invalid JSON', '{method: "info", arguments: []}', CPI_ERROR],
    ['truncated JSON', '{"method":"create_vm","arguments":["agent-1","metal:sc-1",{', CPI_ERROR],
    ['a request followed by garbage', '{"method":"info","arguments":[]} trailing', CPI_ERROR],
    ['two requests in a row', '{"method":"info","arguments":[]}{"method":"info","arguments":[]}', CPI_ERROR],
    ['a JSON array', '[{"method":"info","arguments":[]}]', CPI_ERROR],
    ['a JSON string', '"info"', CPI_ERROR],
    ['a JSON number', '42', CPI_ERROR],
    ['JSON null', 'null', CPI_ERROR],
    ['JSON true', 'true', CPI_ERROR],
    ['invalid UTF-8 bytes', Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x80, 0x00, 0x7d]), CPI_ERROR],
    ['no method', req({ arguments: [] }), CPI_ERROR, /method/],
    ['method is a number', req({ method: 42, arguments: [] }), CPI_ERROR, /method/],
    ['method is null', req({ method: null, arguments: [] }), CPI_ERROR, /method/],
    ['method is an empty string', req({ method: '', arguments: [] }), CPI_ERROR, /method/],
    ['method is an array', req({ method: ['info'], arguments: [] }), CPI_ERROR, /method/],
    ['an unknown method', req({ method: 'create_vms', arguments: [] }), NOT_IMPLEMENTED, /create_vms/],
    ['a method named like an Object.prototype member', req({ method: '__proto__', arguments: [] }), NOT_IMPLEMENTED, /__proto__/],
    ['a method named toString', req({ method: 'toString', arguments: [] }), NOT_IMPLEMENTED, /toString/],
    ['a method in the wrong case', req({ method: 'Info', arguments: [] }), NOT_IMPLEMENTED, /Info/],
    ['too few arguments (has_vm with none)', req({ method: 'has_vm', arguments: [] }), CPI_ERROR, /has_vm/],
    ['too few arguments (create_vm with five)', req({ method: 'create_vm', arguments: ['agent-1', 'metal:sc-1', {}, {}, []] }), CPI_ERROR, /create_vm/],
    ['too many arguments (has_vm with two)', req({ method: 'has_vm', arguments: ['metal:vm-1', 'metal:vm-2'] }), CPI_ERROR, /has_vm/],
    ['too many arguments (info with one)', req({ method: 'info', arguments: ['x'] }), CPI_ERROR, /info/],
    [
      'create_stemcell with four arguments under api_version 3',
      req({ method: 'create_stemcell', arguments: ['/tmp/image', {}, { tags: {} }, {}], api_version: 3 }),
      CPI_ERROR,
    ],
    ['create_disk with size "10"', req({ method: 'create_disk', arguments: ['10', {}, null] }), CPI_ERROR, /size/],
    ['create_disk with a negative size', req({ method: 'create_disk', arguments: [-1024, {}, null] }), CPI_ERROR, /size/],
    [
      'create_vm with networks as an array',
      req({ method: 'create_vm', arguments: ['agent-1', 'metal:sc-1', {}, [{ type: 'manual' }], [], {}] }),
      CPI_ERROR,
      /networks/,
    ],
    [
      'create_vm with a disk_cids string',
      req({ method: 'create_vm', arguments: ['agent-1', 'metal:sc-1', {}, {}, 'metal:disk-2', {}] }),
      CPI_ERROR,
      /disk_cids/,
    ],
    ['has_vm with a number', req({ method: 'has_vm', arguments: [5] }), CPI_ERROR, /vm_cid/],
    ['has_vm with an empty CID', req({ method: 'has_vm', arguments: [''] }), CPI_ERROR, /vm_cid/],
    ['attach_disk with an empty disk CID', req({ method: 'attach_disk', arguments: ['metal:vm-1', ''] }), CPI_ERROR, /disk_cid/],
    ['set_vm_metadata with a metadata array', req({ method: 'set_vm_metadata', arguments: ['metal:vm-1', ['a']] }), CPI_ERROR, /metadata/],
    ['api_version 1.5', req({ method: 'info', arguments: [], api_version: 1.5 }), CPI_ERROR, /api_version/],
    ['api_version "2"', req({ method: 'info', arguments: [], api_version: '2' }), CPI_ERROR, /api_version/],
    ['api_version null', req({ method: 'info', arguments: [], api_version: null }), CPI_ERROR, /api_version/],
    ['arguments not an array', req({ method: 'has_vm', arguments: 'metal:vm-1' }), CPI_ERROR, /arguments/],
    ['arguments an object', req({ method: 'has_vm', arguments: { 0: 'metal:vm-1' } }), CPI_ERROR, /arguments/],
    ['context not an object', JSON.stringify({ method: 'info', arguments: [], context: 'director' }), CPI_ERROR, /context/],
    ['context an array', JSON.stringify({ method: 'info', arguments: [], context: [] }), CPI_ERROR, /context/],
    ['a CID with an unknown prefix', req({ method: 'delete_vm', arguments: ['nope:vm-1'] }), CPI_ERROR, /nope:vm-1/],
    ['an unprefixed CID without a legacy_backend', req({ method: 'delete_disk', arguments: ['disk-1'] }), CPI_ERROR, /disk-1/],
  ];

  for (const [name, stdin, type, message] of cases) {
    it(`${name} → ${type.replace('Bosh::Clouds::', '')}`, async () => {
      const result = await run(stdin);
      const response = expectDirectorResponse(result);
      expect(response.error?.type, describeRun(result)).toBe(type);
      if (message !== undefined) expect(response.error?.message).toMatch(message);
    });
  }

  it('left the state files byte for byte as they were', () => {
    expect(snapshotState()).toEqual(initialState);
  });
});

describe('a bad config file gives a CpiError naming what is wrong', () => {
  const metal = { type: 'memory', stemcell_formats: ['openstack-qcow2'] };
  const info = JSON.stringify({ method: 'info', arguments: [], context: {} });
  const cases: [name: string, file: string, contents: object | string | undefined, message: RegExp][] = [
    ['an unknown top-level key', 'top.json', { backends: { metal }, bogus: 1 }, /\bbogus\b/],
    ['an unknown key in a backend', 'backend-key.json', { backends: { metal: { ...metal, bogus: true } } }, /backends\.metal\.bogus/],
    [
      'a wrong type in a backend',
      'backend-type.json',
      { backends: { metal: { ...metal, stemcell_formats: 'openstack-qcow2' } } },
      /backends\.metal\.stemcell_formats/,
    ],
    ['a backend without a type', 'no-type.json', { backends: { metal: { stemcell_formats: ['x'] } } }, /backends\.metal\.type/],
    [
      'a wrong type deep in an Ironic backend',
      'ironic-url.json',
      { backends: { irn: { type: 'ironic', ironic: { url: 5, auth: { type: 'noauth' } }, image_store: { type: 'webdav', url: 'http://127.0.0.1:9/i' } } } },
      /backends\.irn\.ironic\.url/,
    ],
    ['default_backend naming a missing backend', 'default.json', { default_backend: 'nowhere', backends: { metal } }, /default_backend.*nowhere/s],
    [
      'legacy_backend naming a missing backend',
      'legacy.json',
      { default_backend: 'metal', legacy_backend: 'gone', backends: { metal } },
      /legacy_backend.*gone/s,
    ],
    ['two backends and no default_backend', 'two.json', { backends: { metal, other: metal } }, /default_backend/],
    ['an unknown log_level', 'log-level.json', { log_level: 'loud', backends: { metal } }, /log_level/],
    ['a missing config file', 'does-not-exist.json', undefined, /does-not-exist\.json/],
    ['invalid YAML', 'broken.yml', 'backends:\n  metal: {type: memory\n  other: [\n', /broken\.yml/],
    ['invalid JSON', 'broken.json', '{"backends": {"metal": ', /broken\.json/],
    ['a YAML list instead of a mapping', 'list.yml', '- metal\n- vms\n', /list\.yml/],
  ];

  for (const [name, file, contents, message] of cases) {
    it(name, async () => {
      const path = contents === undefined ? ws.path(file) : ws.writeConfig(file, contents);
      const result = await run(info, path);
      const response = expectDirectorResponse(result);
      expect(response.error?.type, describeRun(result)).toBe(CPI_ERROR);
      expect(response.error?.message).toMatch(message);
    });
  }

  it('the same config without the mistake works (control)', async () => {
    const result = await run(info, ws.writeConfig('good.yml', 'backends:\n  metal: {type: memory, stemcell_formats: [openstack-qcow2]}\n'));
    expect(expectDirectorResponse(result).result).toEqual({ api_version: 2, stemcell_formats: ['openstack-qcow2'] });
  });
});

// ---------------------------------------------------------------------------------------------
// Generated malformed requests.

/** mulberry32: a small, well-distributed 32-bit PRNG, so a seed reproduces the whole run. */
class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  text(length: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

/**
 * What an argument position holds, written from the CPI docs: an oracle of its own, kept apart
 * from the method table (packages/core/src/protocol/methods.ts) it checks.
 */
type Kind = 'cid' | 'text' | 'object' | 'networks' | 'diskCids' | 'objectOrNull' | 'cidOrNull' | 'size' | 'metadata' | 'resources' | 'netdef';

interface Signature {
  args: Kind[];
  /** The fewest arguments accepted (default: all). */
  min?: number;
  versions: number[];
}

const ALL = [1, 2, 3];
const SIGNATURES: Record<string, Signature> = {
  info: { args: [], versions: ALL },
  ping: { args: [], versions: ALL },
  current_vm_id: { args: [], versions: ALL },
  create_stemcell: { args: ['text', 'object'], versions: [1, 2] },
  create_stemcell_v3: { args: ['text', 'object', 'object'], min: 2, versions: [3] },
  delete_stemcell: { args: ['cid'], versions: ALL },
  create_vm: { args: ['text', 'cid', 'object', 'networks', 'diskCids', 'objectOrNull'], versions: ALL },
  delete_vm: { args: ['cid'], versions: ALL },
  has_vm: { args: ['cid'], versions: ALL },
  reboot_vm: { args: ['cid'], versions: ALL },
  set_vm_metadata: { args: ['cid', 'metadata'], versions: ALL },
  calculate_vm_cloud_properties: { args: ['resources'], versions: ALL },
  configure_networks: { args: ['cid', 'object'], versions: ALL },
  create_disk: { args: ['size', 'object', 'cidOrNull'], versions: ALL },
  delete_disk: { args: ['cid'], versions: ALL },
  resize_disk: { args: ['cid', 'size'], versions: ALL },
  update_disk: { args: ['cid', 'size', 'object'], versions: [2, 3] },
  has_disk: { args: ['cid'], versions: ALL },
  attach_disk: { args: ['cid', 'cid'], versions: ALL },
  detach_disk: { args: ['cid', 'cid'], versions: ALL },
  get_disks: { args: ['cid'], versions: ALL },
  set_disk_metadata: { args: ['cid', 'metadata'], versions: ALL },
  snapshot_disk: { args: ['cid', 'metadata'], versions: ALL },
  delete_snapshot: { args: ['cid'], versions: ALL },
  create_network: { args: ['netdef'], versions: ALL },
  delete_network: { args: ['cid'], versions: ALL },
};
const methodOf = (key: string) => key.replace(/_v3$/, '');
const REAL_METHODS = new Set(Object.keys(SIGNATURES).map(methodOf));
const SIGNATURE_KEYS = Object.keys(SIGNATURES);

/** Well-formed values. Every CID is a metal one, so that no pair of CIDs crosses backends. */
const VALID: Record<Kind, (r: Rng) => unknown> = {
  cid: (r) => r.pick(['metal:vm-1', 'metal:disk-1', 'metal:sc-1', 'metal:snap-1', `metal:vm-${r.int(2, 999)}`]),
  text: (r) => r.pick(['agent-1', '/var/vcap/data/tmp/image', `agent-${r.int(1, 1e6)}`]),
  object: (r) => r.pick([{}, { instance_type: 'm1.small' }, { tags: { a: 'b' } }]),
  networks: (r) => r.pick([{}, { default: { type: 'manual', ip: '10.0.0.5', netmask: '255.255.255.0', cloud_properties: {} } }]),
  diskCids: (r) => r.pick([[], null, ['metal:disk-2']]),
  objectOrNull: (r) => r.pick([{}, null, { bosh: { group: 'g' } }]),
  cidOrNull: (r) => r.pick([null, 'metal:vm-1']),
  size: (r) => r.int(1, 100_000),
  metadata: (r) => r.pick([{}, { director: 'bosh', deployment: 'dep', index: 0 }]),
  resources: (r) => ({ cpu: r.int(1, 64), ram: r.int(512, 65536), ephemeral_disk_size: r.int(1024, 100_000) }),
  netdef: () => ({ type: 'manual', cloud_properties: {} }),
};

/** Values that no schema of the position accepts: wrong types, empty CIDs, negative sizes. */
const NOT_OBJECT = ['x', '', 0, 1, -1, 1.5, true, false, null, [], [{}], ['a']];
const NOT_CID = ['', 0, 7, 1.5, true, false, null, {}, [], ['metal:vm-1'], { cid: 'metal:vm-1' }];
const WRONG: Record<Kind, unknown[]> = {
  cid: NOT_CID,
  text: ['', 0, 3, null, true, {}, [], ['agent-1']],
  object: NOT_OBJECT,
  networks: [...NOT_OBJECT, { default: 'manual' }, { default: 1 }, { default: null }, { default: [] }, { default: true }],
  diskCids: ['metal:disk-2', '', 1, true, {}, [''], [1], [null], [{}], [['metal:disk-2']]],
  objectOrNull: ['x', '', 0, true, [], ['bosh']],
  cidOrNull: ['', 0, 1.5, true, false, {}, [], ['metal:vm-1']],
  size: [-1, -1024, 1.5, '10', '', null, true, {}, [], [10]],
  metadata: ['x', '', 0, null, true, [], [{}]],
  resources: [
    ...NOT_OBJECT,
    {},
    { cpu: 2, ram: 1024 },
    { cpu: '2', ram: 1024, ephemeral_disk_size: 2048 },
    { cpu: 2, ram: null, ephemeral_disk_size: 2048 },
    { cpu: 2, ram: 1024, ephemeral_disk_size: -1 },
  ],
  netdef: [...NOT_OBJECT, {}, { type: 5 }, { type: null }, { type: '' }, { cloud_properties: {} }],
};

/** CIDs that route nowhere when there is no legacy_backend (configured backends: metal, vms). */
function unroutableCid(r: Rng, stemcell: boolean): string {
  const ident = () => r.text(r.int(1, 10), 'abcdefghijklmnopqrstuvwxyz0123456789-_');
  const options: (() => string)[] = [
    () => {
      let prefix = ident();
      while (prefix === 'metal' || prefix === 'vms') prefix = ident();
      return `${prefix}:${ident()}`;
    },
    () => `vm-${ident()}`,
    () => ident(),
    () => r.pick(['metal:', 'vms:', ':vm-1', 'METAL:vm-1', ' metal:vm-1', 'metal :vm-1', 'Vms:disk-1', 'metal\u200b:vm-1']),
  ];
  if (stemcell) options.push(() => r.pick(['{}', '{"nope":"sc-1"}', '{"metal":"sc-1","nope":"sc-2"}', '{"metal":""}', '{"metal":1}', '{"metal":"sc-1"', '[]']));
  return r.pick(options)();
}

interface Case {
  category: string;
  stdin: string | Buffer;
  /** The error types this input may get. */
  expect: readonly KnownErrorType[];
}

interface Request {
  method: unknown;
  arguments: unknown;
  context?: unknown;
  api_version?: unknown;
}

function validRequest(r: Rng, key = r.pick(SIGNATURE_KEYS)): { request: Request; signature: Signature } {
  const signature = SIGNATURES[key]!;
  const request: Request = { method: methodOf(key), arguments: signature.args.map((k) => VALID[k](r)) };
  if (r.chance(0.8)) request.context = { director_uuid: 'd-1', request_id: `cpi-${r.int(100000, 999999)}` };
  const version = r.pick(signature.versions.includes(1) ? [undefined, ...signature.versions] : signature.versions);
  if (version !== undefined) request.api_version = version;
  return { request, signature };
}

function randomJson(r: Rng, depth = 0): unknown {
  switch (r.int(0, depth >= 2 ? 3 : 5)) {
    case 0:
      return r.pick([0, -1, 42, 1.5, -2.5e-7, 1e300, Number.MAX_SAFE_INTEGER]);
    case 1:
      return r.text(r.int(0, 12), 'abc xyz{}[]":,\\é\u0000\u2028');
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return r.pick(['info', 'create_vm', 'metal:vm-1']);
    case 4:
      return Array.from({ length: r.int(0, 4) }, () => randomJson(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(0, 3) }, () => [r.text(r.int(1, 6), 'abcdefgh_'), randomJson(r, depth + 1)]));
  }
}

/** A JSON value that is not an object: what the envelope must never be. */
function nonObjectJson(r: Rng): string {
  let value = randomJson(r);
  while (typeof value === 'object' && value !== null && !Array.isArray(value)) value = randomJson(r);
  if (Array.isArray(value) && r.chance(0.3)) value.push(validRequest(r).request);
  const text = JSON.stringify(value);
  return r.chance(0.3) ? ` \n${text}\t ` : text;
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A valid request text, damaged until it is no longer JSON. */
function invalidJson(r: Rng): string {
  for (;;) {
    const s = JSON.stringify(validRequest(r).request);
    const at = r.int(0, s.length - 1);
    const text = r.pick<() => string>([
      () => s.slice(0, r.int(0, s.length - 1)),
      () => s.slice(0, at) + r.pick(['{', '}', '[', ']', ',', ':', '"', 'x', '\\', "'", 'NaN']) + s.slice(at),
      () => s.slice(0, at) + s.slice(at + 1),
      () => s.replaceAll('"', "'"),
      () => s + r.pick([' x', ',', '}', ']', '{}', '""', s]),
      () => s.replace(/"(\w+)":/g, '$1:'),
      () => `// a comment\n${s}`,
      () => s.replace('[', '[,'),
      () => s.replace(/}$/, ',}'),
      () => r.pick(['NaN', 'undefined', 'Infinity', '{', '}', '[', "'info'", '{"method":}', '{"method" "info"}', 'nul', 'tru']),
      () => ' '.repeat(r.int(0, 3)) + r.pick(['\n', '\t', '\r\n', '']),
    ])();
    if (!isValidJson(text)) return text;
  }
}

/** Random bytes that start with a byte no UTF-8 text (and so no JSON) can start with. */
function randomBytes(r: Rng): Buffer {
  const first = r.pick([r.int(0x80, 0xbf), 0xc0, 0xc1, r.int(0xf5, 0xff)]);
  const rest = Array.from({ length: r.int(0, 200) }, () => r.int(0, 255));
  return Buffer.from([first, ...rest]);
}

type Generator = (r: Rng) => Case;

const GENERATORS: Record<string, Generator> = {
  'invalid JSON text': (r) => ({ category: 'invalid JSON text', stdin: invalidJson(r), expect: [CPI_ERROR] }),

  'JSON that is not an object': (r) => ({ category: 'JSON that is not an object', stdin: nonObjectJson(r), expect: [CPI_ERROR] }),

  'an envelope field of the wrong type': (r) => {
    const { request } = validRequest(r);
    const field = r.pick(['method', 'method', 'arguments', 'context', 'api_version', 'no method']);
    const body = request as unknown as Record<string, unknown>;
    if (field === 'no method') delete body['method'];
    else {
      const wrong: Record<string, unknown[]> = {
        method: [0, 1, -1, 1.5, true, false, null, [], ['info'], {}, { name: 'info' }, ''],
        arguments: ['x', '', 0, 1, true, null, {}, { 0: 'metal:vm-1' }],
        context: ['x', '', 0, true, null, [], ['director_uuid']],
        api_version: ['2', '1', '', 1.5, 2.5, true, null, [], [2], {}, { v: 2 }],
      };
      body[field] = r.pick(wrong[field]!);
    }
    return { category: 'an envelope field of the wrong type', stdin: JSON.stringify(body), expect: [CPI_ERROR] };
  },

  'an unknown method': (r) => {
    const real = [...REAL_METHODS];
    let method = r.pick<() => string>([
      () => r.text(r.int(1, 24), 'abcdefghijklmnopqrstuvwxyz_'),
      () => r.pick(real).toUpperCase(),
      () => r.pick(real).replaceAll('_', '-'),
      () => `${r.pick(real)}s`,
      () => ` ${r.pick(real)}`,
      () => `${r.pick(real)}\n`,
      () => `Bosh::Clouds::${r.pick(real)}`,
      () =>
        r.pick([
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          'valueOf',
          '__defineGetter__',
          'isPrototypeOf',
          'infø',
          'ïnfo',
          '\u0000info',
          'create_vm\u0000',
        ]),
    ])();
    while (REAL_METHODS.has(method)) method = r.text(r.int(1, 24), 'abcdefghijklmnopqrstuvwxyz_');
    const { request } = validRequest(r);
    return { category: 'an unknown method', stdin: JSON.stringify({ ...request, method }), expect: [NOT_IMPLEMENTED] };
  },

  'a wrong argument count': (r) => {
    const { request, signature } = validRequest(r);
    const min = signature.min ?? signature.args.length;
    const max = signature.args.length;
    const args = request.arguments as unknown[];
    const fewer = min > 0 && r.chance(0.5);
    request.arguments = fewer
      ? args.slice(0, r.int(0, min - 1))
      : [...args, ...Array.from({ length: max - args.length + r.int(1, 3) }, () => VALID[r.pick(Object.keys(VALID) as Kind[])](r))];
    return { category: 'a wrong argument count', stdin: JSON.stringify(request), expect: [CPI_ERROR] };
  },

  'an argument of the wrong type': (r) => {
    let picked = validRequest(r);
    while (picked.signature.args.length === 0) picked = validRequest(r);
    const { request, signature } = picked;
    const args = request.arguments as unknown[];
    const at = r.int(0, args.length - 1);
    args[at] = r.pick(WRONG[signature.args[at]!]);
    return { category: 'an argument of the wrong type', stdin: JSON.stringify(request), expect: [CPI_ERROR] };
  },

  'an empty CID': (r) => {
    const withCid = SIGNATURE_KEYS.filter((k) => SIGNATURES[k]!.args.some((a) => a === 'cid' || a === 'cidOrNull' || a === 'diskCids'));
    const { request, signature } = validRequest(r, r.pick(withCid));
    const args = request.arguments as unknown[];
    const positions = signature.args.flatMap((a, i) => (a === 'cid' || a === 'cidOrNull' || a === 'diskCids' ? [i] : []));
    const at = r.pick(positions);
    args[at] = signature.args[at] === 'diskCids' ? ['metal:disk-2', ''] : '';
    return { category: 'an empty CID', stdin: JSON.stringify(request), expect: [CPI_ERROR] };
  },

  'a CID no backend owns': (r) => {
    // configure_networks answers NotSupported before it looks at its CID.
    const withCid = SIGNATURE_KEYS.filter(
      (k) => k !== 'configure_networks' && SIGNATURES[k]!.args.some((a) => a === 'cid' || a === 'cidOrNull' || a === 'diskCids'),
    );
    const key = r.pick(withCid);
    const { request, signature } = validRequest(r, key);
    const args = request.arguments as unknown[];
    const positions = signature.args.flatMap((a, i) => (a === 'cid' || a === 'cidOrNull' || a === 'diskCids' ? [i] : []));
    const at = r.pick(positions);
    const stemcell = (key === 'create_vm' && at === 1) || key === 'delete_stemcell';
    args[at] = signature.args[at] === 'diskCids' ? ['metal:disk-2', unroutableCid(r, false)] : unroutableCid(r, stemcell);
    return { category: 'a CID no backend owns', stdin: JSON.stringify(request), expect: [CPI_ERROR] };
  },

  'an api_version out of range': (r) => {
    const key = r.pick(SIGNATURE_KEYS);
    const { request, signature } = validRequest(r, key);
    const outside = [0, -1, -3, 4, 5, 10, 99, 1000, 2 ** 31, 2 ** 53, -(2 ** 31), ...[1, 2, 3].filter((v) => !signature.versions.includes(v))];
    request.api_version = r.pick(outside);
    return { category: 'an api_version out of range', stdin: JSON.stringify(request), expect: [NOT_IMPLEMENTED, CPI_ERROR] };
  },

  'random bytes and invalid UTF-8': (r) => {
    const variant = r.int(0, 3);
    if (variant === 0) return { category: 'random bytes and invalid UTF-8', stdin: randomBytes(r), expect: [CPI_ERROR] };
    if (variant === 1) {
      // A request followed by bytes that are not UTF-8: trailing garbage after the JSON.
      const tail = Buffer.from([0xff, ...Array.from({ length: r.int(0, 20) }, () => r.int(0, 255))]);
      return {
        category: 'random bytes and invalid UTF-8',
        stdin: Buffer.concat([Buffer.from(JSON.stringify(validRequest(r).request)), tail]),
        expect: [CPI_ERROR],
      };
    }
    if (variant === 2) {
      // Invalid UTF-8 inside the method name: no method has such a name.
      const method = Buffer.from(r.pick([...REAL_METHODS]));
      const at = r.int(0, method.length);
      const bad = Buffer.from([r.pick([0xff, 0xfe, 0xc0, 0x80, 0xed])]);
      const name = Buffer.concat([method.subarray(0, at), bad, method.subarray(at)]);
      const stdin = Buffer.concat([Buffer.from('{"method":"'), name, Buffer.from('","arguments":[],"context":{}}')]);
      return { category: 'random bytes and invalid UTF-8', stdin, expect: [NOT_IMPLEMENTED] };
    }
    // Invalid UTF-8 inside an unprefixed CID: no backend owns it.
    const cid = Buffer.concat([Buffer.from('vm-'), Buffer.from(Array.from({ length: r.int(1, 8) }, () => r.int(0x80, 0xff)))]);
    const stdin = Buffer.concat([
      Buffer.from(`{"method":"${r.pick(['has_vm', 'delete_vm', 'reboot_vm', 'get_disks'])}","arguments":["`),
      cid,
      Buffer.from('"]}'),
    ]);
    return { category: 'random bytes and invalid UTF-8', stdin, expect: [CPI_ERROR] };
  },
};

const SEED = 0x5eed2025;
const COUNT = 1100;
const CONCURRENCY = 4;

describe('generated malformed requests', () => {
  let cases: Case[] = [];

  beforeAll(() => {
    const rng = new Rng(SEED);
    const generators = Object.values(GENERATORS);
    cases = Array.from({ length: COUNT }, (_, i) => generators[i % generators.length]!(rng));
  });

  it('the generator is deterministic for its seed', () => {
    const again = new Rng(SEED);
    const generators = Object.values(GENERATORS);
    const first = Array.from({ length: 50 }, (_, i) => generators[i % generators.length]!(again));
    expect(first.map((c) => c.stdin.toString())).toEqual(cases.slice(0, 50).map((c) => c.stdin.toString()));
  });

  it(`${COUNT} malformed requests each get one valid error response of a known type, exit 0, and change nothing`, async () => {
    console.log(`bad-input: seed 0x${SEED.toString(16)}, ${COUNT} generated requests, ${CONCURRENCY} at a time`);
    const started = performance.now();
    const failures: string[] = [];
    const byCategory = new Map<string, number>();
    await mapLimit(cases, CONCURRENCY, async (c, i) => {
      byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
      const result = await run(c.stdin);
      const { response, problems } = responseProblems(result);
      if (response !== undefined) {
        if (response.error === null) problems.push(`no error; result ${JSON.stringify(response.result)}`);
        else if (!c.expect.includes(response.error.type))
          problems.push(`error type ${response.error.type} (${response.error.message}), expected ${c.expect.join(' or ')}`);
      }
      if (problems.length > 0) {
        const input = Buffer.isBuffer(c.stdin) ? `bytes(base64) ${c.stdin.toString('base64')}` : JSON.stringify(c.stdin);
        failures.push(`#${i} [${c.category}] ${input}\n    ${problems.join('\n    ')}\n    stdout: ${result.stdout.slice(0, 500)}`);
      }
    });
    console.log(
      `bad-input: ${COUNT} requests in ${Math.round(performance.now() - started)} ms; per category: ${JSON.stringify(Object.fromEntries(byCategory))}`,
    );
    expect(failures.length, failures.slice(0, 20).join('\n')).toBe(0);
    for (const category of Object.keys(GENERATORS)) expect(byCategory.get(category) ?? 0).toBeGreaterThanOrEqual(100);
    expect(snapshotState()).toEqual(initialState);
  });
});
