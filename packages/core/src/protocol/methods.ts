import { CpiError } from '../errors/index.js';
import { arg, cid, cidArg, cidList, cidOrNull, created, method, one, parts, value, type ApiVersion, type Check, type MethodSpec } from './method-spec.js';
import { listOf, nonEmptyString, nullable, object, positiveInteger } from './schema.js';

export type CloudProperties = Readonly<Record<string, unknown>>;
export type Metadata = Readonly<Record<string, unknown>>;
/** The director's `networks` argument: network name → settings. */
export type Networks = Readonly<Record<string, Readonly<Record<string, unknown>>>>;
/** What `attach_disk` returns in API v2: a device path or an object the agent resolves. */
export type DiskHint = string | Readonly<Record<string, unknown>>;
export interface VmResources {
  readonly cpu: number;
  readonly ram: number;
  readonly ephemeral_disk_size: number;
}

/** The contract version `info` reports (what every current CPI and director speak). */
export const REPORTED_API_VERSION = 2;
/** The highest version a request may carry (director v282+ sends 3 when a CPI reports 3). */
export const MAX_API_VERSION: ApiVersion = 3;

const cloudProperties = object<CloudProperties>();
/** `set_*_metadata` and `snapshot_disk`: director tags are strings, snapshot `index` is an integer. */
const metadata = object<Metadata>({ additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } });
const size = { type: 'integer', minimum: 0 };

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);
const BOOLEAN: Check<boolean> = { name: 'answer', expected: 'true or false', accepts: (v): v is boolean => typeof v === 'boolean' };
const CLOUD_PROPERTIES: Check<CloudProperties> = { name: 'cloud properties', expected: 'an object of cloud properties', accepts: isRecord };
const NETWORKS: Check<Networks> = { name: 'networks', expected: 'an object of networks', accepts: (v): v is Networks => isRecord(v) };
const DISK_HINT: Check<DiskHint> = {
  name: 'disk hint',
  expected: 'a disk hint (a non-empty string or an object)',
  accepts: (v): v is DiskHint => (typeof v === 'string' && v !== '') || isRecord(v),
  none: '',
};
const ANY: Check<unknown> = { name: 'value', expected: 'any value', accepts: (v): v is unknown => true };

const byVm = { by: 'cid', arg: 'vm_cid' } as const;
const byDisk = { by: 'cid', arg: 'disk_cid' } as const;

/**
 * Every CPI method the director or `bosh create-env` may send, the only place each is described:
 * its arguments (name, JSON schema, the kind of CID they hold), the API versions it exists in,
 * how it is routed, whether a backend may leave it out, and its result (which parts are CIDs to
 * prefix, per API version). The argument validators (built ahead of time, loaded per method),
 * the request and `Backend` types, the core's CID unwrapping and wrapping, the delegate's
 * forwarding and the log's argument names all come from it.
 *
 * Adding a method: one entry here, then one file per backend that implements it; the `Backend`
 * type gains the camel-cased method (`snapshot_disk` → `snapshotDisk`) with the parameters and
 * result this entry gives (`params: 'request'`: one object of camel-cased arguments).
 */
export const METHODS = {
  info: method({
    args: [],
    route: { by: 'core', answer: (scope) => ({ api_version: REPORTED_API_VERSION, stemcell_formats: scope.stemcellFormats() }) },
  }),
  create_stemcell: method({
    /** v3 (director v282+) adds `{"tags": {...}}` as a third argument. */
    args: [arg('image_path', nonEmptyString), arg('cloud_properties', cloudProperties), arg('env', object(), { since: 3 })],
    route: { by: 'stemcell_formats', path: ['cloud_properties'] },
    params: 'request',
    // Each backend's CID; the core writes them as one composite stemcell CID (cid/codec.ts).
    result: one(created('stemcell', 'delete_stemcell')),
    doing: (a) => `Creating stemcell from ${a.image_path}`,
  }),
  delete_stemcell: method({
    args: [cidArg('stemcell_cid', 'stemcell')],
    route: { by: 'cid', arg: 'stemcell_cid' },
    doing: (a) => `Deleting stemcell '${a.stemcell_cid}'`,
  }),
  create_vm: method({
    args: [
      arg('agent_id', nonEmptyString),
      cidArg('stemcell_cid', 'stemcell'),
      arg('cloud_properties', cloudProperties),
      arg('networks', object<Networks>({ additionalProperties: { type: 'object' } })),
      cidArg('disk_cids', 'disk', nullable(listOf(nonEmptyString)), { orElse: [] }),
      arg('env', nullable(object()), { orElse: {}, secretValues: true }),
    ],
    route: { by: 'cloud_properties', path: ['cloud_properties'] },
    params: 'request',
    // The networks as configured on the VM: API v2 returns them to the director.
    result: parts({ cid: created('vm', 'delete_vm'), networks: value(NETWORKS, { orArgument: 'networks' }) }, { bareBefore: 2 }),
    doing: (a) => `Creating VM for agent '${a.agent_id}'`,
  }),
  delete_vm: method({ args: [cidArg('vm_cid', 'vm')], route: byVm }),
  has_vm: method({ args: [cidArg('vm_cid', 'vm')], route: byVm, result: one(value(BOOLEAN)) }),
  reboot_vm: method({ args: [cidArg('vm_cid', 'vm')], route: byVm }),
  set_vm_metadata: method({ args: [cidArg('vm_cid', 'vm'), arg('metadata', metadata)], route: byVm, absent: 'NotImplemented' }),
  calculate_vm_cloud_properties: method({
    args: [
      arg(
        'vm_resources',
        object<VmResources>({ required: ['cpu', 'ram', 'ephemeral_disk_size'], properties: { cpu: size, ram: size, ephemeral_disk_size: size } }),
      ),
    ],
    route: { by: 'default_backend' },
    absent: 'NotImplemented',
    result: one(value(CLOUD_PROPERTIES)),
  }),
  configure_networks: method({
    args: [cidArg('vm_cid', 'vm'), arg('networks', object())],
    route: {
      by: 'core',
      answer: () => {
        throw new CpiError('CPX_NOT_SUPPORTED', 'configure_networks was removed from the CPI API; the director recreates the VM instead');
      },
    },
  }),
  create_disk: method({
    /** `vm_cid` is a placement hint and may be null (bosh-cpi-go allows it). */
    args: [arg('size', positiveInteger), arg('cloud_properties', cloudProperties), cidArg('vm_cid', 'vm', nullable(nonEmptyString))],
    /** Next to the VM it is meant for, else by cloud_properties, else the default. */
    route: { by: 'cid', arg: 'vm_cid', whenNull: { by: 'cloud_properties', path: ['cloud_properties'] } },
    params: 'request',
    result: one(created('disk', 'delete_disk')),
    doing: (a) => `Creating a ${a.size} MiB disk`,
  }),
  delete_disk: method({ args: [cidArg('disk_cid', 'disk')], route: byDisk }),
  resize_disk: method({ args: [cidArg('disk_cid', 'disk'), arg('new_size', positiveInteger)], route: byDisk, absent: 'NotSupported' }),
  /** Only from API v2 on, as in bosh-cpi-go. The result: the disk that replaces it, or null when it changed in place. */
  update_disk: method({
    args: [cidArg('disk_cid', 'disk'), arg('new_size', positiveInteger), arg('cloud_properties', cloudProperties)],
    versions: [2, 3],
    route: byDisk,
    absent: 'NotSupported',
    result: one(cidOrNull('disk')),
  }),
  has_disk: method({ args: [cidArg('disk_cid', 'disk')], route: byDisk, result: one(value(BOOLEAN)) }),
  /** The VM and the disk must live in the same backend. */
  attach_disk: method({
    args: [cidArg('vm_cid', 'vm'), cidArg('disk_cid', 'disk')],
    route: byVm,
    // The director raises AttachDiskResponseError on an empty hint.
    result: one(value(DISK_HINT), { since: 2 }),
    doing: (a) => `Attaching disk '${a.disk_cid}' to VM '${a.vm_cid}'`,
  }),
  detach_disk: method({ args: [cidArg('vm_cid', 'vm'), cidArg('disk_cid', 'disk')], route: byVm }),
  get_disks: method({ args: [cidArg('vm_cid', 'vm')], route: byVm, absent: 'NotImplemented', result: one(cidList('disk')) }),
  set_disk_metadata: method({ args: [cidArg('disk_cid', 'disk'), arg('metadata', metadata)], route: byDisk, absent: 'NotImplemented' }),
  snapshot_disk: method({
    args: [cidArg('disk_cid', 'disk'), arg('metadata', metadata)],
    route: byDisk,
    absent: 'NotImplemented',
    result: one(created('snapshot', 'delete_snapshot')),
  }),
  delete_snapshot: method({ args: [cidArg('snapshot_cid', 'snapshot')], route: { by: 'cid', arg: 'snapshot_cid' }, absent: 'NotImplemented' }),
  create_network: method({
    args: [arg('network_definition', object({ required: ['type'], properties: { type: nonEmptyString, cloud_properties: { type: 'object' } } }))],
    route: { by: 'cloud_properties', path: ['network_definition', 'cloud_properties'] },
    absent: 'NotImplemented',
    /** `[network CID, {range, gateway, reserved}, cloud_properties]`. */
    result: parts({ cid: created('network', 'delete_network'), spec: value(ANY), cloudProperties: value(ANY) }),
    doing: () => 'Creating a network',
  }),
  delete_network: method({ args: [cidArg('network_cid', 'network')], route: { by: 'cid', arg: 'network_cid' }, absent: 'NotImplemented' }),
  current_vm_id: method({ args: [], route: { by: 'legacy_backend' }, absent: 'NotImplemented', result: one(cid('vm')) }),
  ping: method({ args: [], route: { by: 'core', answer: () => 'pong' } }),
};
// Checked apart from the literal: as its contextual type, this would widen what each entry leaves out.
METHODS satisfies Readonly<Record<string, MethodSpec>>;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}

/** A method's entry, as code that serves every method reads it. */
export function methodSpec(name: MethodName): MethodSpec {
  return METHODS[name];
}
