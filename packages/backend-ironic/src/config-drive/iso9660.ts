// A minimal ISO 9660 (ECMA-119) image writer with Rock Ridge (SUSP 1.12 / RRIP 1.12) and Joliet,
// enough for an OpenStack-style config drive: regular files and directories, one volume, no boot record.
//
// Layout: system area (16 sectors) | PVD | Joliet SVD | terminator | path tables (L, M per tree) |
// primary directories | Joliet directories | Rock Ridge continuation areas | file data.
// The primary and Joliet trees share the file data.
import { Buffer } from 'node:buffer';

export interface IsoFile {
  /** Like 'ec2/latest/user-data': '/' separated, no leading '/'. */
  readonly path: string;
  readonly content: Uint8Array | string;
}

export interface IsoOptions {
  /** Written exactly as given (ECMA-119 wants upper case, but blkid labels must match `config-2`). */
  readonly volumeId: string;
  /** Every timestamp in the image; defaults to the Unix epoch so that output is reproducible. */
  readonly modified?: Date;
}

const SECTOR = 2048;
const SYSTEM_AREA_SECTORS = 16;
const MAX_NAME_BYTES = 255;
const DIR_MODE = 0o040755;
const FILE_MODE = 0o100644;

interface Dir {
  readonly kind: 'dir';
  readonly name: string;
  readonly children: Map<string, Dir | File>;
  serial: number;
}
interface File {
  readonly kind: 'file';
  readonly name: string;
  readonly data: Buffer;
  serial: number;
  lba: number;
}
type Entry = Dir | File;

/** How one tree (primary or Joliet) spells identifiers. */
interface Naming {
  readonly maxFile: number; // characters of name + extension, separators and version excluded
  readonly maxDir: number;
  readonly clean: (s: string) => string;
  readonly identifier: (stem: string, ext: string, isDir: boolean) => string;
  readonly encode: (s: string) => Buffer;
  readonly rockRidge: boolean;
}

// Interchange level 2 names of d-characters. A file identifier always has both separators ('NAME.;1').
const PRIMARY: Naming = {
  maxFile: 30,
  maxDir: 31,
  clean: (s) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
  identifier: (stem, ext, isDir) => (isDir ? stem : `${stem}.${ext};1`),
  encode: (s) => Buffer.from(s, 'latin1'),
  rockRidge: true,
};

// Joliet: UCS-2 big-endian, at most 64 characters, without * / : ; ? \ or control characters.
const JOLIET: Naming = {
  maxFile: 61,
  maxDir: 64,
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Joliet forbids control characters in names; this replaces them.
  clean: (s) => s.replace(/[\u0000-\u001f*/:;?\\]/g, '_'),
  identifier: (stem, ext, isDir) => (isDir ? stem : `${ext ? `${stem}.${ext}` : stem};1`),
  encode: ucs2be,
  rockRidge: false,
};

interface Named {
  readonly entry: Entry;
  readonly id: Buffer;
  readonly stem: string;
  readonly ext: string;
}

interface TreeDir {
  readonly dir: Dir;
  readonly id: Buffer;
  readonly parent: TreeDir | undefined; // undefined for the root, whose parent is itself
  readonly children: readonly Named[];
  number: number;
  lba: number;
  size: number;
}

interface Tree {
  readonly naming: Naming;
  readonly order: readonly TreeDir[]; // path table order; TreeDir.number is the index + 1
  readonly byDir: Map<Dir, TreeDir>;
  readonly pathTableSize: number;
  lTable: number;
  mTable: number;
}

export function buildIso(files: readonly IsoFile[], options: IsoOptions): Buffer {
  const volumeId = checkVolumeId(options.volumeId);
  const modified = options.modified ?? new Date(0);
  const year = modified.getUTCFullYear();
  if (Number.isNaN(modified.getTime()) || year < 1970 || year > 2155) throw new Error('ISO modified date must be between 1970 and 2155');
  const root = buildTree(files);
  const trees = [layoutTree(root, PRIMARY), layoutTree(root, JOLIET)] as const;
  const [primary] = trees;

  // Serial numbers (Rock Ridge inode numbers) follow the primary tree so they do not depend on input order.
  const allFiles: File[] = [];
  let serial = 1;
  root.serial = serial++;
  for (const t of primary.order) {
    for (const { entry } of t.children) {
      entry.serial = serial++;
      if (entry.kind === 'file') allFiles.push(entry);
    }
  }

  const stamp = recordDate(modified);
  // First pass measures directories and continuation areas; every length is independent of locations.
  const measuring = new ContinuationAreas(0);
  for (const tree of trees) for (const t of tree.order) t.size = placeRecords(directoryRecords(t, tree, stamp, measuring)).size;

  let next = SYSTEM_AREA_SECTORS + 3; // PVD, Joliet SVD, terminator
  for (const tree of trees) {
    const sectors = Math.ceil(tree.pathTableSize / SECTOR);
    tree.lTable = next;
    tree.mTable = next + sectors;
    next += 2 * sectors;
  }
  for (const tree of trees) {
    for (const t of tree.order) {
      t.lba = next;
      next += t.size / SECTOR;
    }
  }
  const continuations = new ContinuationAreas(next);
  next += measuring.sectors;
  for (const file of allFiles) {
    file.lba = next; // an empty file points at the next data block and occupies nothing
    next += Math.ceil(file.data.length / SECTOR);
  }
  const total = next;

  const image = Buffer.alloc(total * SECTOR);
  volumeDescriptor(1, primary, volumeId, modified, total).copy(image, SYSTEM_AREA_SECTORS * SECTOR);
  volumeDescriptor(2, trees[1], volumeId, modified, total).copy(image, (SYSTEM_AREA_SECTORS + 1) * SECTOR);
  Buffer.from([255, ...Buffer.from('CD001'), 1]).copy(image, (SYSTEM_AREA_SECTORS + 2) * SECTOR);
  for (const tree of trees) {
    pathTable(tree.order, false).copy(image, tree.lTable * SECTOR);
    pathTable(tree.order, true).copy(image, tree.mTable * SECTOR);
    for (const t of tree.order) {
      const records = directoryRecords(t, tree, stamp, continuations);
      const { offsets } = placeRecords(records);
      records.forEach(({ dr, cont }, i) => {
        dr.copy(image, t.lba * SECTOR + offsets[i]!);
        cont?.data.copy(image, cont.lba * SECTOR + cont.offset);
      });
    }
  }
  for (const file of allFiles) file.data.copy(image, file.lba * SECTOR);
  return image;
}

function checkVolumeId(volumeId: string): string {
  if (typeof volumeId !== 'string' || !/^[\x20-\x7e]{1,32}$/.test(volumeId)) {
    throw new Error(`ISO volume id must be 1 to 32 printable ASCII characters, got ${JSON.stringify(volumeId)}`);
  }
  return volumeId;
}

function buildTree(files: readonly IsoFile[]): Dir {
  const root: Dir = { kind: 'dir', name: '', children: new Map(), serial: 0 };
  for (const file of files) {
    const path = file.path;
    if (typeof path !== 'string') throw new Error('ISO file path must be a string');
    const parts = path.split('/');
    for (const part of parts) {
      if (part === '') throw new Error(`ISO file path '${path}' has an empty component (leading, trailing or doubled '/')`);
      if (part === '.' || part === '..') throw new Error(`ISO file path '${path}' has a '${part}' component`);
      if (part.includes('\0')) throw new Error(`ISO file path ${JSON.stringify(path)} contains a NUL character`);
      if (Buffer.byteLength(part) > MAX_NAME_BYTES) {
        throw new Error(`ISO file path '${path}' has a component longer than ${MAX_NAME_BYTES} bytes: '${part.slice(0, 32)}...'`);
      }
    }
    let dir = root;
    for (const [i, part] of parts.entries()) {
      const existing = dir.children.get(part);
      const prefix = parts.slice(0, i + 1).join('/');
      if (i === parts.length - 1) {
        if (existing?.kind === 'file') throw new Error(`duplicate ISO file path '${path}'`);
        if (existing) throw new Error(`ISO file path '${path}' is also a directory`);
        const content = file.content;
        const data = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
        if (data.length > 0xffffffff) throw new Error(`ISO file '${path}' is larger than 4 GiB`);
        dir.children.set(part, { kind: 'file', name: part, data, serial: 0, lba: 0 });
      } else if (existing?.kind === 'file') {
        throw new Error(`ISO file path '${prefix}' is also a directory (of '${path}')`);
      } else if (existing) {
        dir = existing;
      } else {
        const child: Dir = { kind: 'dir', name: part, children: new Map(), serial: 0 };
        dir.children.set(part, child);
        dir = child;
      }
    }
  }
  return root;
}

/** Orders directories as the path table wants them: by level, then parent number, then identifier. */
function layoutTree(root: Dir, naming: Naming): Tree {
  const order: TreeDir[] = [{ dir: root, id: Buffer.from([0]), parent: undefined, children: nameChildren(root, naming), number: 1, lba: 0, size: 0 }];
  // Children are sorted by identifier, so a breadth-first walk yields exactly the path table order.
  for (let i = 0; i < order.length; i++) {
    const parent = order[i]!;
    for (const { entry, id } of parent.children) {
      if (entry.kind === 'dir') order.push({ dir: entry, id, parent, children: nameChildren(entry, naming), number: order.length + 1, lba: 0, size: 0 });
    }
  }
  if (order.length > 0xffff) throw new Error('ISO images hold at most 65535 directories');
  const pathTableSize = order.reduce((sum, t) => sum + 8 + t.id.length + (t.id.length % 2), 0);
  return { naming, order, byDir: new Map(order.map((t) => [t.dir, t])), pathTableSize, lTable: 0, mTable: 0 };
}

/** Gives each child an identifier unique within its directory (case-insensitively), then sorts per ECMA-119 9.3. */
function nameChildren(dir: Dir, naming: Naming): Named[] {
  const taken = new Set<string>();
  const byName = [...dir.children.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const named = byName.map((entry): Named => {
    const isDir = entry.kind === 'dir';
    const dot = isDir ? -1 : entry.name.lastIndexOf('.');
    let stem = naming.clean(dot > 0 ? entry.name.slice(0, dot) : entry.name);
    let ext = dot > 0 ? naming.clean(entry.name.slice(dot + 1)) : '';
    const max = isDir ? naming.maxDir : naming.maxFile;
    if (stem.length + ext.length > max) {
      ext = cut(ext, Math.floor(max / 3));
      stem = cut(stem, max - ext.length);
    }
    let [s, e] = [stem, ext];
    const key = () => (e ? `${s}.${e}` : s).toUpperCase();
    for (let n = 1; taken.has(key()); n++) {
      const suffix = `_${n}`;
      e = cut(ext, Math.min(ext.length, max - suffix.length - 1));
      s = cut(stem, max - e.length - suffix.length) + suffix;
    }
    taken.add(key());
    return { entry, id: naming.encode(naming.identifier(s, e, isDir)), stem: s, ext: e };
  });
  // ECMA-119 9.3: compare names, then extensions, each padded on the right with spaces.
  return named.sort((a, b) => comparePadded(a.stem, b.stem) || comparePadded(a.ext, b.ext));
}

function comparePadded(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const [pa, pb] = [a.padEnd(n, ' '), b.padEnd(n, ' ')];
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** Truncates to n UTF-16 units without splitting a surrogate pair. */
function cut(s: string, n: number): string {
  const head = s.slice(0, Math.max(0, n));
  return /[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head;
}

function ucs2be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

/** Packs Rock Ridge continuation areas into whole sectors: Linux rejects an area that crosses a block. */
class ContinuationAreas {
  private sector = 0;
  private offset = 0;
  private readonly start: number;
  constructor(start: number) {
    this.start = start;
  }
  place(data: Buffer): { data: Buffer; lba: number; offset: number } {
    if (this.offset + data.length > SECTOR) [this.sector, this.offset] = [this.sector + 1, 0];
    const placed = { data, lba: this.start + this.sector, offset: this.offset };
    this.offset += data.length;
    return placed;
  }
  get sectors(): number {
    return this.offset === 0 ? this.sector : this.sector + 1;
  }
}

interface DirectoryRecord {
  readonly dr: Buffer;
  readonly cont?: { data: Buffer; lba: number; offset: number };
}

function directoryRecords(t: TreeDir, tree: Tree, stamp: Buffer, areas: ContinuationAreas): DirectoryRecord[] {
  const rr = tree.naming.rockRidge;
  const parent = t.parent ?? t;
  const records: DirectoryRecord[] = [];
  const dirRecord = (id: Buffer, d: TreeDir, su: Buffer[] = []) => record({ id, lba: d.lba, size: d.size, isDir: true, stamp, su: Buffer.concat(su) });

  // '.' and '..'. SUSP requires SP first in the root's '.' and the ER entry that announces Rock Ridge
  // somewhere in it; ER is too long for the record, so it goes to a continuation area.
  let cont: DirectoryRecord['cont'];
  const selfSu = rr ? [px(t.dir), tf(stamp)] : [];
  if (rr && !t.parent) {
    cont = areas.place(er());
    selfSu.unshift(sp());
    selfSu.push(ce(cont));
  }
  records.push({ dr: dirRecord(Buffer.from([0]), t, selfSu), ...(cont === undefined ? {} : { cont }) });
  records.push({ dr: dirRecord(Buffer.from([1]), parent, rr ? [px(parent.dir), tf(stamp)] : []) });

  for (const { entry, id } of t.children) {
    const base = rr ? [px(entry), tf(stamp)] : [];
    const names = rr ? nm(Buffer.from(entry.name)) : [];
    const child = entry.kind === 'dir' ? tree.byDir.get(entry)! : { lba: entry.lba, size: entry.data.length };
    const make = (su: Buffer[]) => record({ id, lba: child.lba, size: child.size, isDir: entry.kind === 'dir', stamp, su: Buffer.concat(su) });
    if (recordLength(id, [...base, ...names]) <= 255) {
      records.push({ dr: make([...base, ...names]) });
    } else {
      // A directory record is at most 255 bytes: long Rock Ridge names continue elsewhere.
      const placed = areas.place(Buffer.concat(names));
      records.push({ dr: make([...base, ce(placed)]), cont: placed });
    }
  }
  return records;
}

/** Offsets of the records within the directory extent, and the extent's size in whole sectors. */
function placeRecords(records: readonly DirectoryRecord[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let offset = 0;
  for (const { dr } of records) {
    // ECMA-119 6.8.1.1: a directory record never crosses a sector boundary; the rest of the sector stays zero.
    if ((offset % SECTOR) + dr.length > SECTOR) offset = Math.ceil(offset / SECTOR) * SECTOR;
    offsets.push(offset);
    offset += dr.length;
  }
  return { offsets, size: Math.ceil(offset / SECTOR) * SECTOR };
}

/** ECMA-119 9.1 directory record. */
function record(r: { id: Buffer; lba: number; size: number; isDir: boolean; stamp: Buffer; su: Buffer }): Buffer {
  const length = recordLength(r.id, [r.su]);
  if (length > 255) throw new Error(`internal error: ISO directory record of ${length} bytes`);
  const b = Buffer.alloc(length);
  b[0] = length;
  both32(b, 2, r.lba);
  both32(b, 10, r.size);
  r.stamp.copy(b, 18);
  b[25] = r.isDir ? 2 : 0;
  both16(b, 28, 1); // volume sequence number
  b[32] = r.id.length;
  r.id.copy(b, 33);
  r.su.copy(b, suStart(r.id));
  return b;
}

// A padding byte follows an even-length identifier so that the system use field starts at an even offset;
// the whole record is kept even too.
function suStart(id: Buffer): number {
  return 33 + id.length + (id.length % 2 === 0 ? 1 : 0);
}

function recordLength(id: Buffer, su: readonly Buffer[]): number {
  const length = suStart(id) + su.reduce((sum, e) => sum + e.length, 0);
  return length + (length % 2);
}

/** ECMA-119 9.4 path table, little-endian (type L) or big-endian (type M). */
function pathTable(order: readonly TreeDir[], bigEndian: boolean): Buffer {
  return Buffer.concat(
    order.map((t) => {
      const b = Buffer.alloc(8 + t.id.length + (t.id.length % 2));
      b[0] = t.id.length;
      if (bigEndian) {
        b.writeUInt32BE(t.lba, 2);
        b.writeUInt16BE(t.parent?.number ?? 1, 6);
      } else {
        b.writeUInt32LE(t.lba, 2);
        b.writeUInt16LE(t.parent?.number ?? 1, 6);
      }
      t.id.copy(b, 8);
      return b;
    }),
  );
}

/** ECMA-119 8.4 Primary (type 1) or, for Joliet, Supplementary (type 2) Volume Descriptor. */
function volumeDescriptor(type: 1 | 2, tree: Tree, volumeId: string, modified: Date, total: number): Buffer {
  const joliet = type === 2;
  const b = Buffer.alloc(SECTOR);
  const text = (offset: number, length: number, value = '') => {
    const field = b.subarray(offset, offset + length);
    if (joliet) {
      for (let i = 0; i + 1 < length; i += 2) field.writeUInt16BE(0x20, i);
      ucs2be(value).copy(field);
    } else {
      field.fill(0x20).write(value, 'latin1');
    }
  };
  b[0] = type;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  text(8, 32); // system identifier
  text(40, 32, joliet ? cut(volumeId, 16) : volumeId);
  both32(b, 80, total);
  if (joliet) b.write('%/E', 88, 'latin1'); // escape sequence for UCS-2 level 3
  both16(b, 120, 1); // volume set size
  both16(b, 124, 1); // volume sequence number
  both16(b, 128, SECTOR);
  both32(b, 132, tree.pathTableSize);
  b.writeUInt32LE(tree.lTable, 140);
  b.writeUInt32BE(tree.mTable, 148);
  const root = tree.order[0]!;
  record({ id: Buffer.from([0]), lba: root.lba, size: root.size, isDir: true, stamp: recordDate(modified), su: Buffer.alloc(0) }).copy(b, 156);
  for (const [offset, length] of [
    [190, 128],
    [318, 128],
    [446, 128],
    [574, 128],
    [702, 37],
    [739, 37],
    [776, 37],
  ] as const)
    text(offset, length);
  descriptorDate(modified).copy(b, 813); // creation
  descriptorDate(modified).copy(b, 830); // modification
  descriptorDate(undefined).copy(b, 847); // expiration
  descriptorDate(undefined).copy(b, 864); // effective
  b[881] = 1; // file structure version
  return b;
}

/** ECMA-119 9.1.5: seven bytes, years since 1900, UTC. */
function recordDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}

/** ECMA-119 8.4.26.1: sixteen ASCII digits and a zone byte; all zero digits mean "not specified". */
function descriptorDate(d: Date | undefined): Buffer {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const digits = d
    ? [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), Math.floor(d.getUTCMilliseconds() / 10)].reduce(
        (text: string, n) => text + p(n),
        p(d.getUTCFullYear(), 4),
      )
    : '0'.repeat(16);
  return Buffer.concat([Buffer.from(digits, 'latin1'), Buffer.from([0])]);
}

// System Use Sharing Protocol entries: two signature bytes, length, version 1, then the body.
function susp(signature: string, body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.write(signature, 0, 'latin1');
  b[2] = b.length;
  b[3] = 1;
  body.copy(b, 4);
  return b;
}

function sp(): Buffer {
  return susp('SP', Buffer.from([0xbe, 0xef, 0])); // check bytes, then no bytes skipped
}

function ce(area: { data: Buffer; lba: number; offset: number }): Buffer {
  const body = Buffer.alloc(24);
  both32(body, 0, area.lba);
  both32(body, 8, area.offset);
  both32(body, 16, area.data.length);
  return susp('CE', body);
}

/** Extension Reference for RRIP 1.12; Linux only trusts Rock Ridge over Joliet when it finds one. */
function er(): Buffer {
  const id = 'IEEE_P1282';
  const descriptor = 'THE IEEE P1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS.';
  const source = 'PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA FOR THE P1282 SPECIFICATION.';
  return susp('ER', Buffer.concat([Buffer.from([id.length, descriptor.length, source.length, 1]), Buffer.from(id + descriptor + source, 'latin1')]));
}

/** RRIP 1.12 PX: mode, links, uid, gid and serial number (the 1.12 form is 44 bytes). */
function px(entry: Entry): Buffer {
  const body = Buffer.alloc(40);
  const subdirs = entry.kind === 'dir' ? [...entry.children.values()].filter((c) => c.kind === 'dir').length : 0;
  both32(body, 0, entry.kind === 'dir' ? DIR_MODE : FILE_MODE);
  both32(body, 8, entry.kind === 'dir' ? 2 + subdirs : 1);
  both32(body, 32, entry.serial);
  return susp('PX', body);
}

/** RRIP TF with modify, access and attribute-change times in the 7-byte form. */
function tf(stamp: Buffer): Buffer {
  return susp('TF', Buffer.concat([Buffer.from([0x0e]), stamp, stamp, stamp]));
}

/** RRIP NM: the real name, split over entries of at most 250 bytes flagged CONTINUE. */
function nm(name: Buffer): Buffer[] {
  const entries: Buffer[] = [];
  for (let i = 0; i < name.length; i += 250) {
    const chunk = name.subarray(i, i + 250);
    entries.push(susp('NM', Buffer.concat([Buffer.from([i + 250 < name.length ? 1 : 0]), chunk])));
  }
  return entries;
}

function both16(b: Buffer, offset: number, value: number): void {
  b.writeUInt16LE(value, offset);
  b.writeUInt16BE(value, offset + 2);
}

function both32(b: Buffer, offset: number, value: number): void {
  b.writeUInt32LE(value, offset);
  b.writeUInt32BE(value, offset + 4);
}
