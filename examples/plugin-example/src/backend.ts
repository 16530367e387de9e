import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  CpiError,
  nativeCid,
  type Backend,
  type CallContext,
  type CreateDiskRequest,
  type CreateStemcellRequest,
  type CreateVmRequest,
  type CreatedVm,
  type DiskHint,
  type Metadata,
  type NativeCid,
} from '@hybrid-cpi/core';

type Kind = 'stemcells' | 'vms' | 'disks';
const PREFIX: Record<Kind, string> = { stemcells: 'sc', vms: 'vm', disks: 'disk' };
/** The kind of CID each directory's records have. */
const CID_KIND = { stemcells: 'stemcell', vms: 'vm', disks: 'disk' } as const;
type CidOf<K extends Kind> = NativeCid<(typeof CID_KIND)[K]>;

interface StemcellRecord {
  image_path: string;
  created_at: string;
}
interface VmRecord {
  agent_id: string;
  stemcell: string;
  metadata: Metadata;
  reboots: number;
  created_at: string;
}
interface DiskRecord {
  size_mb: number;
  vm: string | null;
  metadata: Metadata;
  created_at: string;
}
type RecordOf<K extends Kind> = { stemcells: StemcellRecord; vms: VmRecord; disks: DiskRecord }[K];

/**
 * A backend whose "VMs" and "disks" are JSON files in a directory, one per resource. It shows
 * what the core expects of any backend, the way a real one must do it:
 * - it sees and returns native CIDs only (`vm-<uuid>`); the core adds `<backend>:`;
 * - every call is a new process, so all state lives outside it (here: the directory);
 * - deletes of something missing succeed, `has_*` of an unknown CID is false;
 * - failures are `CpiError`s with a code of the catalogue (docs/errors.md), which decides the
 *   director's error type;
 * - it keeps neither `env` nor `cloud_properties`: they may hold credentials.
 * It leaves out the optional methods it cannot do (snapshots, resize, networks): the core
 * answers them NotImplemented or NotSupported.
 */
export class DirectoryBackend implements Backend {
  constructor(private readonly directory: string) {
    for (const kind of Object.keys(PREFIX)) fs.mkdirSync(path.join(directory, kind), { recursive: true });
  }

  async createStemcell(ctx: CallContext, { imagePath }: CreateStemcellRequest): Promise<NativeCid<'stemcell'>> {
    if (!fs.existsSync(imagePath)) throw new CpiError('CPX_BACKEND_FAILURE', `Creating a stemcell from ${imagePath}: the image does not exist`);
    const cid = this.#create('stemcells', { image_path: imagePath, created_at: new Date().toISOString() });
    ctx.logger.info({ stemcell: cid }, 'created stemcell');
    return cid;
  }

  async deleteStemcell(_ctx: CallContext, cid: NativeCid<'stemcell'>): Promise<void> {
    this.#remove('stemcells', cid);
  }

  async createVm(ctx: CallContext, request: CreateVmRequest): Promise<CreatedVm> {
    const doing = `Creating VM for agent '${request.agentId}'`;
    if (this.#read('stemcells', request.stemcellCid) === undefined)
      throw new CpiError('CPX_STEMCELL_NOT_FOUND', `${doing}: stemcell '${request.stemcellCid}' does not exist`);
    const cid = this.#create('vms', {
      agent_id: request.agentId,
      stemcell: request.stemcellCid,
      metadata: {},
      reboots: 0,
      created_at: new Date().toISOString(),
    });
    ctx.logger.info({ vm: cid, agent_id: request.agentId }, 'created VM');
    // A real backend would fill in what the infrastructure assigned (MACs, dynamic IPs).
    return { cid, networks: request.networks };
  }

  async deleteVm(_ctx: CallContext, cid: NativeCid<'vm'>): Promise<void> {
    for (const [disk, record] of this.#all('disks')) if (record.vm === cid) this.#write('disks', disk, { ...record, vm: null });
    this.#remove('vms', cid);
  }

  async hasVm(_ctx: CallContext, cid: NativeCid<'vm'>): Promise<boolean> {
    return this.#read('vms', cid) !== undefined;
  }

  async rebootVm(_ctx: CallContext, cid: NativeCid<'vm'>): Promise<void> {
    const vm = this.#vm(cid, `Rebooting VM '${cid}'`);
    this.#write('vms', cid, { ...vm, reboots: vm.reboots + 1 });
  }

  async setVmMetadata(_ctx: CallContext, cid: NativeCid<'vm'>, metadata: Metadata): Promise<void> {
    this.#write('vms', cid, { ...this.#vm(cid, `Setting the metadata of VM '${cid}'`), metadata });
  }

  async createDisk(_ctx: CallContext, { size, vmCid }: CreateDiskRequest): Promise<NativeCid<'disk'>> {
    if (vmCid !== undefined) this.#vm(vmCid, `Creating a ${size} MiB disk next to VM '${vmCid}'`);
    return this.#create('disks', { size_mb: size, vm: null, metadata: {}, created_at: new Date().toISOString() });
  }

  async deleteDisk(_ctx: CallContext, cid: NativeCid<'disk'>): Promise<void> {
    const disk = this.#read<DiskRecord>('disks', cid);
    if (disk?.vm) throw new CpiError('CPX_BACKEND_FAILURE', `Deleting disk '${cid}': it is still attached to VM '${disk.vm}'`);
    this.#remove('disks', cid);
  }

  async hasDisk(_ctx: CallContext, cid: NativeCid<'disk'>): Promise<boolean> {
    return this.#read('disks', cid) !== undefined;
  }

  /** Idempotent: attaching again to the same VM returns the same hint. */
  async attachDisk(_ctx: CallContext, vm: NativeCid<'vm'>, cid: NativeCid<'disk'>): Promise<DiskHint> {
    const doing = `Attaching disk '${cid}' to VM '${vm}'`;
    this.#vm(vm, doing);
    const disk = this.#disk(cid, doing);
    if (disk.vm !== null && disk.vm !== vm) throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: it is attached to VM '${disk.vm}'`);
    this.#write('disks', cid, { ...disk, vm });
    // What the agent uses to find the device.
    return { path: `/dev/disk/by-id/example-${cid}` };
  }

  async detachDisk(_ctx: CallContext, vm: NativeCid<'vm'>, cid: NativeCid<'disk'>): Promise<void> {
    const doing = `Detaching disk '${cid}' from VM '${vm}'`;
    this.#vm(vm, doing);
    const disk = this.#disk(cid, doing);
    if (disk.vm !== vm) throw new CpiError('CPX_DISK_NOT_ATTACHED', `${doing}: it is not attached there`);
    this.#write('disks', cid, { ...disk, vm: null });
  }

  async getDisks(_ctx: CallContext, vm: NativeCid<'vm'>): Promise<readonly NativeCid<'disk'>[]> {
    this.#vm(vm, `Listing the disks of VM '${vm}'`);
    return [...this.#all('disks')].filter(([, d]) => d.vm === vm).map(([cid]) => cid);
  }

  async setDiskMetadata(_ctx: CallContext, cid: NativeCid<'disk'>, metadata: Metadata): Promise<void> {
    this.#write('disks', cid, { ...this.#disk(cid, `Setting the metadata of disk '${cid}'`), metadata });
  }

  #vm(cid: string, doing: string): VmRecord {
    const vm = this.#read<VmRecord>('vms', cid);
    if (vm === undefined) throw new CpiError('CPX_VM_NOT_FOUND', `${doing}: VM '${cid}' does not exist`);
    return vm;
  }

  #disk(cid: string, doing: string): DiskRecord {
    const disk = this.#read<DiskRecord>('disks', cid);
    if (disk === undefined) throw new CpiError('CPX_DISK_NOT_FOUND', `${doing}: disk '${cid}' does not exist`);
    return disk;
  }

  /**
   * The record's file, or undefined for a CID this backend cannot have made: CIDs come from the
   * director, so they never become paths unchecked.
   */
  #file(kind: Kind, cid: string): string | undefined {
    const shape = new RegExp(`^${PREFIX[kind]}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
    return shape.test(cid) ? path.join(this.directory, kind, `${cid}.json`) : undefined;
  }

  #create<K extends Kind>(kind: K, record: RecordOf<K>): CidOf<K> {
    const cid = nativeCid(CID_KIND[kind], `${PREFIX[kind]}-${randomUUID()}`);
    this.#write(kind, cid, record);
    return cid;
  }

  #read<T>(kind: Kind, cid: string): T | undefined {
    const file = this.#file(kind, cid);
    if (file === undefined) return undefined;
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Written whole or not at all (a rename), so a concurrent reader never sees half a record. */
  #write(kind: Kind, cid: string, record: unknown): void {
    const file = this.#file(kind, cid)!;
    fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(record, null, 1));
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  }

  #remove(kind: Kind, cid: string): void {
    const file = this.#file(kind, cid);
    if (file !== undefined) fs.rmSync(file, { force: true });
  }

  *#all<K extends Kind>(kind: K): Generator<[CidOf<K>, RecordOf<K>]> {
    for (const name of fs.readdirSync(path.join(this.directory, kind))) {
      if (!name.endsWith('.json')) continue;
      const cid = name.slice(0, -'.json'.length);
      const record = this.#read<RecordOf<K>>(kind, cid);
      if (record !== undefined) yield [nativeCid(CID_KIND[kind], cid), record];
    }
  }
}

DirectoryBackend satisfies new (
  directory: string,
) => Backend;
