import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIso, type IsoFile } from '../../../src/config-drive/iso9660.js';

// The image is read back with real ISO tools (xorriso/libisofs, isoinfo and isovfy from genisoimage,
// blkid from util-linux), so that the tests do not only agree with our own idea of the format.
const TOOLS = ['xorriso', 'isoinfo', 'isovfy', 'blkid'];
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const MISSING_MESSAGE = `ISO tools missing: ${missing.join(', ')} (apt-get install -y --no-install-recommends xorriso genisoimage util-linux)`;
// Without the tools, skip locally but fail on CI.
const withTools = missing.length > 0 && !process.env.CI ? it.skip : it;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iso9660-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function run(cmd: string, args: readonly string[]): string {
  if (missing.length > 0) throw new Error(MISSING_MESSAGE);
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function writeImage(iso: Buffer): string {
  const file = path.join(tmp, `image-${++counter}.iso`);
  fs.writeFileSync(file, iso);
  return file;
}

/** Every regular file under dir, as '/'-separated relative paths. */
function listFiles(dir: string, prefix = ''): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${dirent.name}` : dirent.name;
    const full = path.join(dir, dirent.name);
    if (dirent.isDirectory()) for (const [k, v] of listFiles(full, rel)) found.set(k, v);
    else found.set(rel, fs.readFileSync(full));
  }
  return found;
}

const bytes = (content: IsoFile['content']) => Buffer.from(typeof content === 'string' ? Buffer.from(content) : content);

/**
 * Extracts the image with xorriso (Rock Ridge view), failing on any libisofs warning, and checks that the
 * files are exactly the input, byte for byte; then checks the structure with isovfy.
 */
function expectToolsReadBack(files: readonly IsoFile[], iso: Buffer): string {
  const image = writeImage(iso);
  const out = path.join(tmp, `extract-${counter}`);
  run('xorriso', ['-return_with', 'WARNING', '32', '-indev', image, '-osirrox', 'on', '-extract', '/', out]);
  const extracted = listFiles(out);
  expect([...extracted.keys()].sort()).toEqual(files.map((f) => f.path).sort());
  for (const file of files) {
    // Compare digests, so that a mismatch in a 3 MB file does not print the whole file.
    const digest = (b: Buffer) => `${b.length}:${createHash('sha256').update(b).digest('hex')}`;
    expect(digest(extracted.get(file.path)!), file.path).toBe(digest(bytes(file.content)));
  }
  expect(run('isovfy', ['-i', image])).toContain('No errors found');
  expect(run('isoinfo', ['-d', '-i', image])).toContain(`Volume size is: ${iso.length / 2048}`);
  return image;
}

/** Lists the image with isoinfo: '-R' gives Rock Ridge names, '-J' Joliet names, '' plain ISO 9660 names. */
function isoinfoList(image: string, view: '-R' | '-J' | ''): string[] {
  return run('isoinfo', [...(view ? [view] : []), '-f', '-i', image])
    .split('\n')
    .filter(Boolean)
    .sort();
}

/** Every file and directory implied by the paths, with a leading '/', as isoinfo -f prints them. */
function allPaths(files: readonly IsoFile[]): string[] {
  const paths = new Set<string>();
  for (const { path: p } of files) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) paths.add(`/${parts.slice(0, i).join('/')}`);
  }
  return [...paths].sort();
}

/** Deterministic pseudo-random bytes, so that failures reproduce. */
function pseudoRandom(length: number, seed: string): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0, have = 0; have < length; i++, have += 32) chunks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(chunks).subarray(0, length);
}

// ---- a small reader, only to check the invariants the tools do not report directly ----

const both32 = (b: Buffer, o: number) => {
  expect(b.readUInt32BE(o + 4), `both-endian 32-bit field at ${o}`).toBe(b.readUInt32LE(o));
  return b.readUInt32LE(o);
};
const both16 = (b: Buffer, o: number) => {
  expect(b.readUInt16BE(o + 2), `both-endian 16-bit field at ${o}`).toBe(b.readUInt16LE(o));
  return b.readUInt16LE(o);
};

interface Dirent {
  readonly id: Buffer;
  readonly lba: number;
  readonly size: number;
  readonly isDir: boolean;
}

/** Reads one directory extent, checking that no record crosses a sector boundary. */
function readDirectory(iso: Buffer, lba: number, size: number): Dirent[] {
  const entries: Dirent[] = [];
  for (let offset = 0; offset < size; ) {
    const at = lba * 2048 + offset;
    const length = iso[at]!;
    if (length === 0) {
      offset = (Math.floor(offset / 2048) + 1) * 2048; // the rest of the sector is padding
      continue;
    }
    expect((offset % 2048) + length, 'directory record crosses a sector boundary').toBeLessThanOrEqual(2048);
    expect(length % 2).toBe(0);
    const idLength = iso[at + 32]!;
    entries.push({
      id: iso.subarray(at + 33, at + 33 + idLength),
      lba: both32(iso, at + 2),
      size: both32(iso, at + 10),
      isDir: (iso[at + 25]! & 2) !== 0,
    });
    offset += length;
  }
  return entries;
}

/** Checks a volume descriptor's both-endian fields and that its L and M path tables match the directory tree. */
function checkVolume(iso: Buffer, sector: number): { dirs: number; maxDirSize: number } {
  const vd = iso.subarray(sector * 2048, (sector + 1) * 2048);
  expect(vd.subarray(1, 6).toString('latin1')).toBe('CD001');
  expect(both32(vd, 80) * 2048).toBe(iso.length);
  expect([both16(vd, 120), both16(vd, 124), both16(vd, 128)]).toEqual([1, 1, 2048]);
  const tableSize = both32(vd, 132);
  const readTable = (lba: number, bigEndian: boolean) => {
    const table = iso.subarray(lba * 2048, lba * 2048 + tableSize);
    const rows: { id: string; lba: number; parent: number }[] = [];
    for (let o = 0; o < table.length; ) {
      const idLength = table[o]!;
      rows.push({
        id: table.subarray(o + 8, o + 8 + idLength).toString('hex'),
        lba: bigEndian ? table.readUInt32BE(o + 2) : table.readUInt32LE(o + 2),
        parent: bigEndian ? table.readUInt16BE(o + 6) : table.readUInt16LE(o + 6),
      });
      o += 8 + idLength + (idLength % 2);
    }
    return rows;
  };
  const lTable = readTable(vd.readUInt32LE(140), false);
  expect(readTable(vd.readUInt32BE(148), true)).toEqual(lTable);

  // Walk the tree breadth-first in path table order and compare.
  const root = readDirectory(vd.subarray(156), 0, 34)[0]!; // the root directory record embedded in the descriptor
  const queue = [{ id: '00', lba: root.lba, size: root.size, parent: 1 }];
  let maxDirSize = 0;
  for (let i = 0; i < queue.length; i++) {
    const dir = queue[i]!;
    maxDirSize = Math.max(maxDirSize, dir.size);
    const entries = readDirectory(iso, dir.lba, dir.size);
    expect(entries[0]!.id).toEqual(Buffer.from([0]));
    expect(entries[0]!.lba).toBe(dir.lba);
    expect(entries[1]!.id).toEqual(Buffer.from([1]));
    expect(entries[1]!.lba).toBe(queue[dir.parent - 1]!.lba);
    for (const e of entries.slice(2)) if (e.isDir) queue.push({ id: e.id.toString('hex'), lba: e.lba, size: e.size, parent: i + 1 });
  }
  expect(lTable).toEqual(queue.map(({ id, lba, parent }) => ({ id, lba, parent })));
  return { dirs: queue.length, maxDirSize };
}

// ---- fixtures ----

const MAC = '52:54:00:a1:b2:c3';
const settings = {
  agent_id: 'agent-6f1a3c2e-9b7d-4e0f-8a21-5c4d3b2a1f00',
  vm: { name: 'vm-3a8f6e0b-7c1d-4f2e-9a5b-0c1d2e3f4a5b' },
  mbus: 'nats://nats:nats-password@10.0.0.6:4222',
  ntp: ['time1.example.com', 'time2.example.com'],
  blobstore: { provider: 'dav', options: { endpoint: 'http://10.0.0.6:25250', user: 'agent', password: 'blob-pw' } },
  networks: {
    default: {
      type: 'manual',
      ip: '10.0.0.10',
      netmask: '255.255.255.0',
      gateway: '10.0.0.1',
      dns: ['10.0.0.2', '8.8.8.8'],
      default: ['dns', 'gateway'],
      mac: MAC,
      preconfigured: false,
    },
  },
  disks: { system: '/dev/sda', ephemeral: null, persistent: {} },
  env: { bosh: { password: '$6$salt$hash', keep_root_password: false } },
};
const configDrive: IsoFile[] = [
  { path: 'ec2/latest/user-data', content: JSON.stringify({ server: { name: settings.vm.name }, ...settings }) },
  {
    path: 'ec2/latest/meta-data.json',
    content: JSON.stringify({ 'instance-id': settings.vm.name, 'public-keys': { '0': { 'openssh-key': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF bosh' } } }),
  },
  {
    path: 'openstack/latest/meta_data.json',
    content: JSON.stringify({
      uuid: '0b7e0f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      name: settings.vm.name,
      hostname: settings.vm.name,
      public_keys: { bosh: 'ssh-ed25519 AAAA bosh' },
    }),
  },
  { path: 'openstack/latest/user_data', content: JSON.stringify(settings) },
  {
    path: 'openstack/latest/network_data.json',
    content: JSON.stringify({
      links: [{ id: 'eth0', type: 'phy', ethernet_mac_address: MAC, mtu: 1500 }],
      networks: [
        {
          id: 'network0',
          type: 'ipv4',
          link: 'eth0',
          ip_address: '10.0.0.10',
          netmask: '255.255.255.0',
          routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' }],
        },
      ],
      services: [{ type: 'dns', address: '10.0.0.2' }],
    }),
  },
];

describe('buildIso read back by real ISO tools', () => {
  it('finds the tools it needs (fails on CI when missing)', () => {
    if (missing.length > 0 && process.env.CI) throw new Error(MISSING_MESSAGE);
  });

  withTools('writes a config-2 drive with the exact Rock Ridge and Joliet names', () => {
    const iso = buildIso(configDrive, { volumeId: 'config-2' });
    const image = expectToolsReadBack(configDrive, iso);

    const info = run('isoinfo', ['-d', '-i', image]);
    expect(info).toContain('CD-ROM is in ISO 9660 format');
    expect(info).toContain('Volume id: config-2');
    expect(info).toContain('Logical block size is: 2048');
    expect(info).toContain('Rock Ridge signatures version 1 found');
    expect(info).toContain('Joliet with UCS level 3 found');
    // What udev uses for /dev/disk/by-label/config-2.
    const blkid = run('blkid', ['-p', '-o', 'export', image]);
    expect(blkid).toContain('TYPE=iso9660');
    expect(blkid).toContain('LABEL=config-2\n');

    expect(isoinfoList(image, '-R')).toEqual(allPaths(configDrive));
    expect(isoinfoList(image, '-J').map((p) => p.replace(/;1$/, ''))).toEqual(allPaths(configDrive));
    expect(isoinfoList(image, '')).toEqual([
      '/EC2',
      '/EC2/LATEST',
      '/EC2/LATEST/META_DATA.JSON;1',
      '/EC2/LATEST/USER_DATA.;1',
      '/OPENSTACK',
      '/OPENSTACK/LATEST',
      '/OPENSTACK/LATEST/META_DATA.JSON;1',
      '/OPENSTACK/LATEST/NETWORK_DATA.JSON;1',
      '/OPENSTACK/LATEST/USER_DATA.;1',
    ]);
    // isoinfo -x reads one file by its Rock Ridge path, independently of xorriso.
    for (const file of configDrive) expect(execFileSync('isoinfo', ['-R', '-i', image, '-x', `/${file.path}`]).toString()).toBe(file.content);
    const agentSettings = JSON.parse(execFileSync('isoinfo', ['-R', '-i', image, '-x', '/ec2/latest/user-data']).toString());
    expect(agentSettings.agent_id).toBe(settings.agent_id);
    expect(agentSettings.networks.default.mac).toBe(MAC);
  });

  withTools('serves the Joliet tree to readers that ignore Rock Ridge', () => {
    const image = writeImage(buildIso(configDrive, { volumeId: 'config-2' }));
    const out = path.join(tmp, 'joliet');
    run('xorriso', ['-return_with', 'WARNING', '32', '-read_fs', 'norock', '-indev', image, '-osirrox', 'on', '-extract', '/', out]);
    const extracted = listFiles(out);
    expect([...extracted.keys()].sort()).toEqual(configDrive.map((f) => f.path).sort());
    for (const file of configDrive) expect(extracted.get(file.path)!.toString()).toBe(file.content);
  });

  withTools('stores multi-sector and empty files', () => {
    const files: IsoFile[] = [
      { path: 'ten-k.bin', content: pseudoRandom(10 * 1024, 'ten') },
      { path: 'three-m.bin', content: new Uint8Array(pseudoRandom(3 * 1024 * 1024, 'three')) },
      { path: 'exactly-one-sector', content: pseudoRandom(2048, 'one') },
      { path: 'sector-plus-one', content: pseudoRandom(2049, 'plus') },
      { path: 'empty', content: '' },
      { path: 'zz/last-and-empty', content: new Uint8Array(0) },
    ];
    const iso = buildIso(files, { volumeId: 'config-2' });
    expectToolsReadBack(files, iso);
    checkVolume(iso, 16);
    checkVolume(iso, 17);
  });

  withTools('writes an image with a single empty file, and one with no files', () => {
    expectToolsReadBack([{ path: 'only-empty', content: '' }], buildIso([{ path: 'only-empty', content: '' }], { volumeId: 'config-2' }));
    const image = expectToolsReadBack([], buildIso([], { volumeId: 'config-2' }));
    expect(isoinfoList(image, '-R')).toEqual([]);
  });

  withTools('nests directories deeply (beyond the 8 levels ECMA-119 recommends)', () => {
    const deep = Array.from({ length: 12 }, (_, i) => `level-${i}`).join('/');
    const files: IsoFile[] = [
      { path: `${deep}/leaf.txt`, content: 'leaf' },
      { path: 'level-0/level-1/side.txt', content: 'side' },
      { path: 'a/b/c/d', content: 'd' },
    ];
    const iso = buildIso(files, { volumeId: 'config-2' });
    const image = expectToolsReadBack(files, iso);
    expect(isoinfoList(image, '-R')).toEqual(allPaths(files));
    expect(checkVolume(iso, 16).dirs).toBe(1 + 12 + 3);
  });

  withTools('spreads a directory with many entries over several sectors', () => {
    const files: IsoFile[] = Array.from({ length: 400 }, (_, i) => ({ path: `many/a-rather-long-file-name-number-${i}.json`, content: `{"n":${i}}` }));
    files.push({ path: 'many/sub/x', content: 'x' });
    const iso = buildIso(files, { volumeId: 'config-2' });
    const image = expectToolsReadBack(files, iso);
    expect(isoinfoList(image, '-R')).toEqual(allPaths(files));
    expect(isoinfoList(image, '-J').map((p) => p.replace(/;1$/, ''))).toEqual(allPaths(files));
    expect(checkVolume(iso, 16).maxDirSize).toBeGreaterThan(4 * 2048);
    expect(checkVolume(iso, 17).maxDirSize).toBeGreaterThan(4 * 2048);
  });

  withTools('keeps names unique when they collide as d-characters or in Joliet', () => {
    const names = ['meta-data.json', 'meta_data.json', 'META-DATA.json', 'Meta.Data.json', 'meta-data.JSON', 'meta_data', 'meta_data.'];
    const files: IsoFile[] = names.map((name, i) => ({ path: `openstack/${name}`, content: `file ${i}` }));
    files.push({ path: 'META_DATA/inside', content: 'dir that maps like a file' }, { path: 'meta_data/inside', content: 'another' });
    const image = expectToolsReadBack(files, buildIso(files, { volumeId: 'config-2' }));
    expect(isoinfoList(image, '-R')).toEqual(allPaths(files));
    const plain = isoinfoList(image, '').filter((p) => p.startsWith('/OPENSTACK/'));
    expect(plain).toHaveLength(names.length);
    for (const p of plain) expect(p).toMatch(/^\/OPENSTACK\/[A-Z0-9_]{1,30}\.[A-Z0-9_]*;1$/);
    const joliet = isoinfoList(image, '-J');
    expect(new Set(joliet.map((p) => p.toUpperCase())).size).toBe(joliet.length);
  });

  withTools('carries long and non-ASCII names through Rock Ridge continuation areas', () => {
    const files: IsoFile[] = [
      { path: `long/${'n'.repeat(255)}`, content: '255 bytes' },
      { path: `long/${'ü'.repeat(125)}.json`, content: 'multi-byte, 255 bytes' },
      { path: `long/${'d'.repeat(200)}/${'f'.repeat(250)}`, content: 'nested long' },
      ...Array.from({ length: 30 }, (_, i) => ({ path: `long/${String(i).padStart(3, '0')}-${'x'.repeat(150)}`, content: `${i}` })),
    ];
    const iso = buildIso(files, { volumeId: 'config-2' });
    const image = expectToolsReadBack(files, iso);
    expect(isoinfoList(image, '-R')).toEqual(allPaths(files));
    checkVolume(iso, 16);
  });
});

describe('buildIso', () => {
  it('is deterministic and independent of input order', () => {
    const a = buildIso(configDrive, { volumeId: 'config-2' });
    expect(buildIso(configDrive, { volumeId: 'config-2' }).equals(a)).toBe(true);
    expect(buildIso([...configDrive].reverse(), { volumeId: 'config-2' }).equals(a)).toBe(true);
    const other = buildIso(configDrive, { volumeId: 'config-2', modified: new Date('2024-05-06T07:08:09Z') });
    expect(other.equals(a)).toBe(false);
    expect(other.length).toBe(a.length);
  });

  withTools('stamps options.modified (blkid derives the UUID from it)', () => {
    const image = writeImage(buildIso(configDrive, { volumeId: 'config-2', modified: new Date('2024-05-06T07:08:09.120Z') }));
    expect(run('blkid', ['-p', '-o', 'export', image])).toContain('UUID=2024-05-06-07-08-09-12');
    expect(run('isoinfo', ['-R', '-l', '-i', image])).toContain('May  6 2024');
    const fixed = writeImage(buildIso(configDrive, { volumeId: 'config-2' }));
    expect(run('blkid', ['-p', '-o', 'export', fixed])).toContain('UUID=1970-01-01-00-00-00-00');
  });

  it('writes 2048-byte sectors, a terminator and consistent path tables', () => {
    const iso: Buffer = buildIso(configDrive, { volumeId: 'config-2' });
    expect(iso.length % 2048).toBe(0);
    expect(iso.subarray(0, 16 * 2048).every((b) => b === 0)).toBe(true);
    expect([iso[16 * 2048], iso[17 * 2048], iso[18 * 2048]]).toEqual([1, 2, 255]);
    expect(iso.subarray(18 * 2048 + 1, 18 * 2048 + 7).toString('latin1')).toBe('CD001\x01');
    expect(iso.subarray(16 * 2048 + 40, 16 * 2048 + 72).toString('latin1')).toBe('config-2'.padEnd(32));
    expect(checkVolume(iso, 16).dirs).toBe(5);
    expect(checkVolume(iso, 17).dirs).toBe(5);
  });

  it('rejects invalid input with clear errors', () => {
    const build = (paths: string[]) => () =>
      buildIso(
        paths.map((p) => ({ path: p, content: 'x' })),
        { volumeId: 'config-2' },
      );
    expect(build(['a/b', 'a/b'])).toThrow("duplicate ISO file path 'a/b'");
    expect(build(['/a'])).toThrow("ISO file path '/a' has an empty component");
    expect(build(['a/'])).toThrow("ISO file path 'a/' has an empty component");
    expect(build(['a//b'])).toThrow("ISO file path 'a//b' has an empty component");
    expect(build([''])).toThrow('has an empty component');
    expect(build(['a/../b'])).toThrow("has a '..' component");
    expect(build(['a', 'a/b'])).toThrow("ISO file path 'a' is also a directory (of 'a/b')");
    expect(build(['a/b/c', 'a/b'])).toThrow("ISO file path 'a/b' is also a directory");
    expect(build([`a/${'x'.repeat(256)}`])).toThrow('has a component longer than 255 bytes');
    expect(build([`${'é'.repeat(128)}`])).toThrow('longer than 255 bytes'); // 256 UTF-8 bytes
    expect(build([`${'x'.repeat(255)}/${'é'.repeat(127)}`])).not.toThrow();
    expect(() => buildIso([], { volumeId: '' })).toThrow('ISO volume id must be 1 to 32 printable ASCII characters');
    expect(() => buildIso([], { volumeId: 'x'.repeat(33) })).toThrow('ISO volume id must be 1 to 32');
    expect(() => buildIso([], { volumeId: 'config-2', modified: new Date('invalid') })).toThrow('ISO modified date');
  });
});
