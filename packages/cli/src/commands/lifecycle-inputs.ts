import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { CloudProperties, NativeCid, Networks } from '@hybrid-cpi/core';
import type { ConformanceOptions } from '@hybrid-cpi/core/testing';
import { UsageError } from './options.js';

/** What the suite needs besides the backend: from `--inputs FILE`, else defaults. */
export type SuiteInputs = Omit<ConformanceOptions, 'makeBackend' | 'keepGoing'>;

/** Where the stemcell image came from: the inputs, a disk image made here, a placeholder file; or none is used (an existing stemcell). */
export type ImageSource = 'given' | 'generated' | 'placeholder' | 'existing';

/** The size of the generated root.img: a few blocks of zeros, enough to be written to a disk. */
const GENERATED_ROOT_MB = 1;

const KEYS = ['stemcell', 'existing_stemcell', 'vm', 'disk', 'parts', 'api_version'] as const;
const PARTS = ['stemcells', 'vms', 'disks'] as const;

/**
 * The inputs file, checked with key paths (a usage error otherwise), merged over defaults: a
 * stemcell of the backend's formats, one dynamic network, a 1 GiB disk. Without a stemcell image,
 * a backend that takes `openstack-raw` gets a real (tiny) OpenStack stemcell image made here, a
 * gzipped tar holding a raw root.img; any other gets a placeholder file, which the memory backend
 * and delegates that do not read the image take. `scratch` is where a made image goes; the
 * caller removes it.
 */
export async function readInputs(file: string | undefined, formats: readonly string[], scratch: string): Promise<{ inputs: SuiteInputs; image: ImageSource }> {
  const raw = file === undefined ? {} : await parseFile(file);
  const at = (key: string) => `${file}: ${key}`;
  if (!isObject(raw)) throw new UsageError(`${file}: must be a mapping of ${KEYS.join(', ')}`);
  for (const key of Object.keys(raw))
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`${at(key)}: is not a known key (${KEYS.join(', ')})`);

  const existing = optionalString(raw['existing_stemcell'], at('existing_stemcell'));
  const vm = optionalObject(raw['vm'], at('vm'));
  const disk = optionalObject(raw['disk'], at('disk'));
  const size = disk['size'] ?? 1024;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) throw new UsageError(`${at('disk.size')}: must be a whole number of MiB`);
  const apiVersion = raw['api_version'] ?? 2;
  if (apiVersion !== 1 && apiVersion !== 2 && apiVersion !== 3) throw new UsageError(`${at('api_version')}: must be 1, 2 or 3`);

  let parts: { stemcells: boolean; vms: boolean; disks: boolean } = { stemcells: existing === undefined, vms: true, disks: true };
  if (raw['parts'] !== undefined) {
    const listed = raw['parts'];
    if (!Array.isArray(listed) || !listed.every((p) => (PARTS as readonly unknown[]).includes(p)))
      throw new UsageError(`${at('parts')}: must be a list of ${PARTS.join(', ')}`);
    parts = { stemcells: listed.includes('stemcells'), vms: listed.includes('vms'), disks: listed.includes('disks') };
  }
  if (!parts.stemcells && existing === undefined) throw new UsageError(`${at('existing_stemcell')}: is required when parts leaves out stemcells`);

  const stemcell = optionalObject(raw['stemcell'], at('stemcell'));
  for (const key of Object.keys(stemcell))
    if (!['image', 'cloud_properties'].includes(key)) throw new UsageError(`${at(`stemcell.${key}`)}: is not a known key (image, cloud_properties)`);
  let imagePath = optionalString(stemcell['image'], at('stemcell.image'));
  const format = imagePath === undefined && formats.includes('openstack-raw') ? 'openstack-raw' : (formats[0] ?? 'openstack-qcow2');
  let image: ImageSource = parts.stemcells ? 'given' : 'existing';
  if (imagePath === undefined) {
    imagePath = path.join(scratch, 'image');
    if (parts.stemcells) {
      image = format === 'openstack-raw' ? 'generated' : 'placeholder';
      if (image === 'generated') await writeRawStemcellImage(imagePath);
      else fs.writeFileSync(imagePath, 'hybrid-cpi lifecycle: not really a disk image\n');
    }
  } else if (!fs.existsSync(imagePath)) throw new UsageError(`${at('stemcell.image')}: ${imagePath} does not exist`);
  const [infrastructure, diskFormat] = format.split(/-(.*)/s);
  const stemcellProperties = optionalObject(stemcell['cloud_properties'], at('stemcell.cloud_properties'), { infrastructure, disk_format: diskFormat });

  const inputs: SuiteInputs = {
    parts,
    stemcell: { imagePath, cloudProperties: stemcellProperties as CloudProperties },
    ...(existing === undefined ? {} : { existingStemcell: existing as NativeCid<'stemcell'> }),
    vm: {
      cloudProperties: optionalObject(vm['cloud_properties'], at('vm.cloud_properties')) as CloudProperties,
      networks: optionalObject(vm['networks'], at('vm.networks'), { default: { type: 'dynamic', cloud_properties: {} } }) as Networks,
      env: optionalObject(vm['env'], at('vm.env')),
    },
    disk: { size, cloudProperties: optionalObject(disk['cloud_properties'], at('disk.cloud_properties')) as CloudProperties },
    apiVersion,
  };
  return { inputs, image };
}

/** A heavy OpenStack stemcell's image (what its tarball calls `image`): a gzipped tar of root.img. */
async function writeRawStemcellImage(file: string): Promise<void> {
  const { pack } = await import('tar-stream');
  const tar = pack();
  const written = pipeline(tar, zlib.createGzip(), fs.createWriteStream(file));
  tar.entry({ name: 'root.img', size: GENERATED_ROOT_MB << 20 }, Buffer.alloc(GENERATED_ROOT_MB << 20));
  tar.finalize();
  await written;
}

/** A scratch directory for the default image. */
export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-cpi-lifecycle-'));
}

async function parseFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--inputs ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message}`);
  }
  const YAML = await import('yaml');
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) throw new UsageError(`--inputs ${file}: not valid JSON or YAML (${doc.errors[0]!.message})`);
  return doc.toJS() ?? {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalObject(value: unknown, where: string, fallback: Record<string, unknown> = {}): Record<string, unknown> {
  if (value === undefined) return fallback;
  if (!isObject(value)) throw new UsageError(`${where}: must be a mapping`);
  return value;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${where}: must be a non-empty string`);
  return value;
}
