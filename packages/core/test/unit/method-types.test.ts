// The types read off the method table: CIDs typed by kind and side, the backend methods' parameters
// and results. Checked by the compiler (tsc -b checks the tests): a `@ts-expect-error` line that
// compiles fails the build, as does an `expectTypeOf` that does not hold.
import { describe, expectTypeOf, it } from 'vitest';
import {
  encodeCid,
  nativeCid,
  type Backend,
  type BackendName,
  type CallContext,
  type CloudProperties,
  type CreateDiskRequest,
  type CreateStemcellRequest,
  type CreateVmRequest,
  type CreatedNetwork,
  type CreatedVm,
  type DiskHint,
  type Metadata,
  type NativeCid,
  type Networks,
  type ProxyCid,
  type VmResources,
} from '@hybrid-cpi/core';
import { MemoryBackend } from '@hybrid-cpi/backend-memory';

const vm = nativeCid('vm', 'vm-1');
const disk = nativeCid('disk', 'disk-1');

/** Calls that must not compile; never run. */
async function misuse(backend: Backend, ctx: CallContext): Promise<void> {
  // @ts-expect-error: a disk CID as a VM CID
  await backend.deleteVm(ctx, disk);
  // @ts-expect-error: the VM and disk CIDs of attach_disk swapped
  await backend.attachDisk(ctx, disk, vm);
  // @ts-expect-error: a VM CID among the disk CIDs of create_vm
  await backend.createVm(ctx, { agentId: 'a', stemcellCid: nativeCid('stemcell', 's'), cloudProperties: {}, networks: {}, diskCids: [vm], env: {} });
  // @ts-expect-error: a native CID where the director's belongs
  expectTypeOf<ProxyCid<'vm'>>().toEqualTypeOf(vm);
}

describe('CIDs are typed by kind and by side', () => {
  it('a disk CID does not pass where a VM CID belongs, in core or in a backend', () => {
    expectTypeOf(misuse).toBeFunction();
    expectTypeOf(disk).not.toExtend<NativeCid<'vm'>>();
    expectTypeOf(vm).toExtend<NativeCid>();
    expectTypeOf(encodeCid('vms' as BackendName, vm)).toEqualTypeOf<ProxyCid<'vm'>>();
    expectTypeOf<ProxyCid<'vm'>>().not.toExtend<NativeCid<'vm'>>();
    expectTypeOf<NativeCid<'vm'>>().not.toExtend<ProxyCid<'vm'>>();
  });

  it('a backend implementing a method with the wrong kind does not compile', () => {
    class Wrong extends MemoryBackend {
      // @ts-expect-error: delete_disk takes a disk CID
      override async deleteDisk(_ctx: CallContext, _cid: NativeCid<'vm'>): Promise<void> {}
    }
    expectTypeOf<Wrong>().not.toExtend<Backend>();
  });
});

describe('the backend methods are read off the table', () => {
  it('request objects, camel-cased, with null as the table says', () => {
    expectTypeOf<CreateVmRequest>().toEqualTypeOf<{
      readonly agentId: string;
      readonly stemcellCid: NativeCid<'stemcell'>;
      readonly cloudProperties: CloudProperties;
      readonly networks: Networks;
      readonly diskCids: readonly NativeCid<'disk'>[];
      readonly env: Readonly<Record<string, unknown>>;
    }>();
    expectTypeOf<CreateDiskRequest>().toEqualTypeOf<{
      readonly size: number;
      readonly cloudProperties: CloudProperties;
      readonly vmCid: NativeCid<'vm'> | undefined;
    }>();
    expectTypeOf<CreateStemcellRequest>().toEqualTypeOf<{
      readonly imagePath: string;
      readonly cloudProperties: CloudProperties;
      readonly env: Readonly<Record<string, unknown>> | undefined;
    }>();
  });

  it('positional parameters and results', () => {
    type Params<K extends keyof Backend> = Parameters<NonNullable<Backend[K]>>;
    type Returns<K extends keyof Backend> = Awaited<ReturnType<NonNullable<Backend[K]>>>;
    expectTypeOf<Params<'setVmMetadata'>>().toEqualTypeOf<[ctx: CallContext, NativeCid<'vm'>, Metadata]>();
    expectTypeOf<Params<'updateDisk'>>().toEqualTypeOf<[ctx: CallContext, NativeCid<'disk'>, number, CloudProperties]>();
    expectTypeOf<Params<'calculateVmCloudProperties'>>().toEqualTypeOf<[ctx: CallContext, VmResources]>();
    expectTypeOf<Params<'currentVmId'>>().toEqualTypeOf<[ctx: CallContext]>();
    expectTypeOf<Returns<'createVm'>>().toEqualTypeOf<CreatedVm>();
    expectTypeOf<CreatedVm>().toEqualTypeOf<{ readonly cid: NativeCid<'vm'>; readonly networks: Networks }>();
    expectTypeOf<CreatedNetwork>().toEqualTypeOf<{ readonly cid: NativeCid<'network'>; readonly spec: unknown; readonly cloudProperties: unknown }>();
    expectTypeOf<Returns<'attachDisk'>>().toEqualTypeOf<DiskHint>();
    expectTypeOf<Returns<'hasDisk'>>().toEqualTypeOf<boolean>();
    expectTypeOf<Returns<'getDisks'>>().toEqualTypeOf<readonly NativeCid<'disk'>[]>();
    expectTypeOf<Returns<'updateDisk'>>().toEqualTypeOf<NativeCid<'disk'> | undefined>();
    expectTypeOf<Returns<'snapshotDisk'>>().toEqualTypeOf<NativeCid<'snapshot'>>();
    expectTypeOf<Returns<'deleteVm'>>().toEqualTypeOf<void>();
  });

  it('required and optional methods, as the table says; none for the methods the core answers', () => {
    expectTypeOf<Backend['createVm']>().not.toBeNullable();
    expectTypeOf<Backend['attachDisk']>().not.toBeNullable();
    expectTypeOf<Backend['setVmMetadata']>().toBeNullable();
    expectTypeOf<Backend['resizeDisk']>().toBeNullable();
    expectTypeOf<Backend>().not.toHaveProperty('info');
    expectTypeOf<Backend>().not.toHaveProperty('ping');
    expectTypeOf<Backend>().not.toHaveProperty('configureNetworks');
  });
});
