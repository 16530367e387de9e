import type { Backend, CallContext, CloudProperties, Metadata, Networks, VmResources } from '../backend/backend.js';
import { decodeCid, decodeStemcellCid, encodeCid, encodeStemcellCid, type BackendName, type NativeCid } from '../cid/index.js';
import { CpiError } from '../errors/index.js';
import { REPORTED_API_VERSION, type MethodName } from '../protocol/signatures.js';
import type { Call } from './call.js';
import { acceptsStemcell, describeStemcell } from './stemcell-formats.js';

type Route = (call: Call) => Promise<unknown>;
type OnCid = (b: Backend, ctx: CallContext, cid: NativeCid, call: Call, name: BackendName) => Promise<unknown>;

/** A method routed by the CID in its first argument; the other arguments pass through. */
function byCid(what: string, fn: OnCid): Route {
  return async (call) => {
    const { backend, native } = call.cid(0, what);
    return call.on(backend, (b, ctx) => fn(b, ctx, native, call, backend));
  };
}

/** attach_disk / detach_disk: the VM and the disk must live in the same backend. */
function vmAndDisk(fn: (b: Backend, ctx: CallContext, vm: NativeCid, disk: NativeCid, call: Call) => Promise<unknown>): Route {
  return async (call) => {
    const vm = call.cid(0, 'VM CID');
    const disk = call.cid(1, 'disk CID');
    if (vm.backend !== disk.backend) {
      throw new CpiError(
        'CPX_ROUTE_MISMATCH',
        `${call.request.method}: VM '${call.arg(0)}' lives in backend '${vm.backend}' but disk '${call.arg(1)}' lives in backend '${disk.backend}'; a ` +
          `disk can only be used by VMs of its own backend`,
      );
    }
    return call.on(vm.backend, (b, ctx) => fn(b, ctx, vm.native, disk.native, call));
  };
}

const info: Route = async ({ registry }) => ({
  api_version: REPORTED_API_VERSION,
  stemcell_formats: [...new Set(registry.names().flatMap((n) => registry.stemcellFormats(n)))],
});

const createStemcell: Route = async (call) => {
  const { registry } = call;
  const imagePath = call.arg<string>(0);
  const props = call.arg<CloudProperties>(1);
  const env = call.arg<Record<string, unknown> | undefined>(2);
  const targets = registry.names().filter((n) => acceptsStemcell(registry.stemcellFormats(n), props));
  if (targets.length === 0) {
    const accepted = registry.names().map((n) => `'${n}' accepts ${registry.stemcellFormats(n).join(', ')}`);
    throw new CpiError(
      'CPX_STEMCELL_NO_BACKEND',
      `Creating stemcell from ${imagePath}: no backend accepts a stemcell with ${describeStemcell(props)}; ${accepted.join('; ')}`,
    );
  }
  const settled = await Promise.allSettled(targets.map((name) => call.on(name, (b, ctx) => b.createStemcell(ctx, { imagePath, cloudProperties: props, env }))));
  const parts = new Map<BackendName, NativeCid>();
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') parts.set(targets[i]!, s.value);
  });
  const failed = settled.find((s) => s.status === 'rejected');
  try {
    if (failed !== undefined) throw failed.reason;
    return encodeStemcellCid(parts);
  } catch (error) {
    // An upload that landed in some backends only would leave images no CID points to.
    await deleteStemcellParts(call, parts).catch((e: unknown) => call.logger.error({ err: String(e) }, 'removing the stemcell parts already created failed'));
    throw error;
  }
};

async function deleteStemcellParts(call: Call, parts: ReadonlyMap<BackendName, NativeCid>): Promise<void> {
  const failures: string[] = [];
  for (const [name, native] of parts) {
    await call.on(name, (b, ctx) => b.deleteStemcell(ctx, native)).catch((e: unknown) => failures.push(`${name}: ${(e as Error).message}`));
  }
  if (failures.length > 0) throw new CpiError('CPX_BACKEND_FAILURE', `Deleting stemcell '${call.arg(0)}': ${failures.join('; ')}`);
}

const createVm: Route = async (call) => {
  const { registry } = call;
  const agentId = call.arg<string>(0);
  const stemcell = call.arg<string>(1);
  const props = call.arg<CloudProperties>(2);
  const doing = `Creating VM for agent '${agentId}'`;
  const name = registry.fromCloudProperties(props, doing);
  const parts = decodeStemcellCid(stemcell, registry);
  const stemcellCid = parts.get(name);
  if (stemcellCid === undefined) {
    throw new CpiError(
      'CPX_ROUTE_MISMATCH',
      `${doing} in backend '${name}': stemcell '${stemcell}' has no image in '${name}' (only in ${[...parts.keys()].join(', ')}); upload a stemcell ` +
        `of a format '${name}' accepts (${registry.stemcellFormats(name).join(', ')}) or use a vm_type of another backend`,
    );
  }
  const diskCids = (call.arg<string[] | null>(4) ?? []).map((cid) => {
    const disk = decodeCid(cid, registry, 'disk CID');
    if (disk.backend !== name) throw new CpiError('CPX_ROUTE_MISMATCH', `${doing} in backend '${name}': disk '${cid}' lives in backend '${disk.backend}'`);
    return disk.native;
  });
  const created = await call.on(name, (b, ctx) =>
    b.createVm(ctx, { agentId, stemcellCid, cloudProperties: props, networks: call.arg<Networks>(3), diskCids, env: call.arg(5) ?? {} }),
  );
  const cid = await call.wrapCreated(name, created.cid, () => call.on(name, (b, ctx) => b.deleteVm(ctx, created.cid)));
  return call.request.apiVersion >= 2 ? [cid, created.networks] : cid;
};

/** create_disk: next to the VM it is meant for, else by cloud_properties, else the default. */
const createDisk: Route = async (call) => {
  const size = call.arg<number>(0);
  const props = call.arg<CloudProperties>(1);
  const vmCid = call.arg<string | null>(2);
  const vm = vmCid === null ? undefined : call.cid(2, 'VM CID');
  const name = vm?.backend ?? call.registry.fromCloudProperties(props, `Creating a ${size} MiB disk`);
  const native = await call.on(name, (b, ctx) => b.createDisk(ctx, { size, cloudProperties: props, vmCid: vm?.native }));
  return call.wrapCreated(name, native, () => call.on(name, (b, ctx) => b.deleteDisk(ctx, native)));
};

const attachDisk = vmAndDisk(async (b, ctx, vm, disk, call) => {
  const hint = await b.attachDisk(ctx, vm, disk);
  if (call.request.apiVersion < 2) return null;
  // The director raises AttachDiskResponseError on an empty hint (reference/bosh-cpi.md §1.5).
  if (hint === undefined || hint === null || hint === '') {
    throw new CpiError('CPX_BACKEND_FAILURE', `Attaching disk '${call.arg(1)}' to VM '${call.arg(0)}': the backend returned no disk hint`);
  }
  return hint;
});

/** Every CPI method: how it is routed and how its CIDs are unwrapped and wrapped. */
export const ROUTES: Record<MethodName, Route> = {
  info,
  ping: async () => 'pong',
  configure_networks: async () => {
    throw new CpiError('CPX_NOT_SUPPORTED', 'configure_networks was removed from the CPI API; the director recreates the VM instead');
  },
  create_stemcell: createStemcell,
  delete_stemcell: async (call) => deleteStemcellParts(call, decodeStemcellCid(call.arg<string>(0), call.registry)).then(() => null),
  create_vm: createVm,
  delete_vm: byCid('VM CID', (b, ctx, vm) => b.deleteVm(ctx, vm)),
  has_vm: byCid('VM CID', (b, ctx, vm) => b.hasVm(ctx, vm)),
  reboot_vm: byCid('VM CID', (b, ctx, vm) => b.rebootVm(ctx, vm)),
  set_vm_metadata: byCid('VM CID', (b, ctx, vm, call, name) => call.optional(b, name, 'setVmMetadata')(ctx, vm, call.arg<Metadata>(1))),
  get_disks: byCid('VM CID', async (b, ctx, vm, call, name) => (await call.optional(b, name, 'getDisks')(ctx, vm)).map((disk) => encodeCid(name, disk))),
  calculate_vm_cloud_properties: async (call) => {
    const name = call.registry.defaultBackend;
    return call.on(name, (b, ctx) => call.optional(b, name, 'calculateVmCloudProperties')(ctx, call.arg<VmResources>(0)));
  },
  create_disk: createDisk,
  delete_disk: byCid('disk CID', (b, ctx, disk) => b.deleteDisk(ctx, disk)),
  has_disk: byCid('disk CID', (b, ctx, disk) => b.hasDisk(ctx, disk)),
  attach_disk: attachDisk,
  detach_disk: vmAndDisk((b, ctx, vm, disk) => b.detachDisk(ctx, vm, disk)),
  set_disk_metadata: byCid('disk CID', (b, ctx, disk, call, name) => call.optional(b, name, 'setDiskMetadata')(ctx, disk, call.arg<Metadata>(1))),
  resize_disk: byCid('disk CID', (b, ctx, disk, call, name) => call.optional(b, name, 'resizeDisk')(ctx, disk, call.arg<number>(1))),
  update_disk: byCid('disk CID', async (b, ctx, disk, call, name) => {
    const replaced = await call.optional(b, name, 'updateDisk')(ctx, disk, call.arg<number>(1), call.arg<CloudProperties>(2));
    return replaced === undefined ? null : encodeCid(name, replaced);
  }),
  snapshot_disk: byCid('disk CID', async (b, ctx, disk, call, name) => {
    const snapshot = await call.optional(b, name, 'snapshotDisk')(ctx, disk, call.arg<Metadata>(1));
    return call.wrapCreated(name, snapshot, () => call.on(name, (b2, ctx2) => call.optional(b2, name, 'deleteSnapshot')(ctx2, snapshot)));
  }),
  delete_snapshot: byCid('snapshot CID', (b, ctx, snapshot, call, name) => call.optional(b, name, 'deleteSnapshot')(ctx, snapshot)),
  create_network: async (call) => {
    const definition = call.arg<Record<string, unknown>>(0);
    const props = (definition['cloud_properties'] ?? {}) as CloudProperties;
    const name = call.registry.fromCloudProperties(props, 'Creating a network');
    const created = await call.on(name, (b, ctx) => call.optional(b, name, 'createNetwork')(ctx, definition));
    const cid = await call.wrapCreated(name, created.cid, () => call.on(name, (b, ctx) => call.optional(b, name, 'deleteNetwork')(ctx, created.cid)));
    return [cid, created.spec, created.cloudProperties];
  },
  delete_network: byCid('network CID', (b, ctx, network, call, name) => call.optional(b, name, 'deleteNetwork')(ctx, network)),
  current_vm_id: async (call) => {
    const name = call.registry.legacyBackend ?? call.registry.defaultBackend;
    return encodeCid(name, await call.on(name, (b, ctx) => call.optional(b, name, 'currentVmId')(ctx)));
  },
};
