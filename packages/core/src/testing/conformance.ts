import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Backend, CallContext, CloudProperties, Networks } from '../backend/backend.js';
import { isCpiError } from '../errors/index.js';
import { nativeCid, type NativeCid } from '../cid/index.js';
import type { MethodName } from '../protocol/methods.js';
import { directCallContext } from './call-context.js';

export interface ConformanceOptions {
  /** Makes the backend under test; called once per run. */
  makeBackend(): Backend | Promise<Backend>;
  /** Which parts run (all by default). Without `stemcells`, give `existingStemcell`. */
  parts?: { stemcells?: boolean; vms?: boolean; disks?: boolean };
  stemcell: { imagePath: string; cloudProperties: CloudProperties };
  existingStemcell?: NativeCid<'stemcell'>;
  vm: { cloudProperties: CloudProperties; networks: Networks; env?: Readonly<Record<string, unknown>> };
  disk: { size: number; cloudProperties: CloudProperties };
  /** A CID of the backend's own shape that names nothing (default: a random UUID). */
  unknownCid?: () => string;
  /** The API version the calls claim (default 2). */
  apiVersion?: 1 | 2 | 3;
  /**
   * Run the later steps after one failed (default: they fail with "not run"). A step that needs
   * a stemcell, VM or disk a failed step did not make still does not run.
   */
  keepGoing?: boolean;
}

export interface ConformanceStep {
  readonly name: string;
  run(): Promise<void>;
}

/**
 * The CPI lifecycle every backend must pass, built-in or third-party: the steps the director
 * takes through a deployment and its clean-up, plus the idempotency and unknown-CID rules it
 * relies on (docs/architecture.md#backends). Framework-free: run the steps in order with any runner;
 * {@link describeConformance} registers them with vitest or mocha.
 */
export function conformanceSteps(options: ConformanceOptions): ConformanceStep[] {
  const parts = { stemcells: true, vms: true, disks: true, ...options.parts };
  const unknownCid = options.unknownCid ?? randomUUID;
  const apiVersion = options.apiVersion ?? 2;
  const state: { backend?: Backend; stemcell?: NativeCid<'stemcell'>; vm?: NativeCid<'vm'>; disk?: NativeCid<'disk'>; failed?: string } = {};
  const ctx = (method: MethodName): CallContext =>
    directCallContext(method, { apiVersion, directorUuid: 'conformance-director', requestId: `cpi-${Math.floor(100000 + Math.random() * 900000)}` });
  // What a step needs from an earlier one; missing only when that one failed (or keepGoing is off).
  const need = <K extends 'backend' | 'stemcell' | 'vm' | 'disk'>(key: K): NonNullable<(typeof state)[K]> => {
    const value = state[key];
    if (value === undefined) throw new Error(`not run: no ${key} (step '${state.failed}' failed)`);
    return value as NonNullable<(typeof state)[K]>;
  };
  const backend = () => need('backend');
  const steps: ConformanceStep[] = [];
  const step = (name: string, run: () => Promise<void>) =>
    steps.push({
      name,
      run: async () => {
        if (state.failed !== undefined && options.keepGoing !== true) throw new Error(`not run: step '${state.failed}' failed`);
        try {
          await run();
        } catch (error) {
          state.failed ??= name;
          throw error;
        }
      },
    });

  step('makes the backend', async () => {
    state.backend = await options.makeBackend();
  });
  if (parts.stemcells) {
    step('create_stemcell returns a CID', async () => {
      state.stemcell = await backend().createStemcell(ctx('create_stemcell'), { ...options.stemcell, env: undefined });
      assertCid(state.stemcell);
    });
  } else {
    step('uses the given stemcell', async () => {
      assert.ok(options.existingStemcell, 'existingStemcell is required when the stemcell part does not run');
      state.stemcell = options.existingStemcell;
    });
  }
  if (parts.vms) {
    step('create_vm returns a CID and the networks', async () => {
      const created = await backend().createVm(ctx('create_vm'), {
        agentId: `agent-${randomUUID()}`,
        stemcellCid: need('stemcell'),
        cloudProperties: options.vm.cloudProperties,
        networks: options.vm.networks,
        diskCids: [],
        env: options.vm.env ?? {},
      });
      assertCid(created.cid);
      assert.deepEqual(Object.keys(created.networks).sort(), Object.keys(options.vm.networks).sort());
      state.vm = created.cid;
    });
    step('has_vm is true for the new VM', async () => assert.equal(await backend().hasVm(ctx('has_vm'), need('vm')), true));
    step("set_vm_metadata accepts the director's tags (or is absent)", async () => {
      await backend().setVmMetadata?.(ctx('set_vm_metadata'), need('vm'), {
        director: 'conformance',
        deployment: 'conformance',
        job: 'worker',
        index: '0',
        id: randomUUID(),
        name: 'worker/0',
        created_at: new Date().toISOString(),
      });
    });
    step('reboot_vm reboots it', async () => backend().rebootVm(ctx('reboot_vm'), need('vm')));
  }
  if (parts.vms && parts.disks) {
    step('create_disk next to the VM returns a CID', async () => {
      state.disk = await backend().createDisk(ctx('create_disk'), { size: options.disk.size, cloudProperties: options.disk.cloudProperties, vmCid: state.vm });
      assertCid(state.disk);
      assert.equal(await backend().hasDisk(ctx('has_disk'), state.disk), true);
    });
    step('attach_disk returns a hint, and again the same one', async () => {
      const hint = await backend().attachDisk(ctx('attach_disk'), need('vm'), need('disk'));
      assert.ok(typeof hint === 'string' ? hint.length > 0 : Object.keys(hint).length > 0, 'the hint must not be empty');
      assert.deepEqual(await backend().attachDisk(ctx('attach_disk'), need('vm'), need('disk')), hint);
    });
    step('get_disks lists the attached disk (or is absent)', async () => {
      const disks = await backend().getDisks?.(ctx('get_disks'), need('vm'));
      if (disks !== undefined) assert.deepEqual([...disks], [state.disk]);
    });
    step("set_disk_metadata accepts the director's tags (or is absent)", async () => {
      await backend().setDiskMetadata?.(ctx('set_disk_metadata'), need('disk'), {
        director: 'conformance',
        deployment: 'conformance',
        instance_id: randomUUID(),
        attached_at: new Date().toISOString(),
      });
    });
    step('detach_disk detaches it, and a second detach says DiskNotAttached or succeeds', async () => {
      await backend().detachDisk(ctx('detach_disk'), need('vm'), need('disk'));
      await expectOkOr(() => backend().detachDisk(ctx('detach_disk'), need('vm'), need('disk')), 'Bosh::Clouds::DiskNotAttached');
      const disks = await backend().getDisks?.(ctx('get_disks'), need('vm'));
      if (disks !== undefined) assert.deepEqual([...disks], []);
    });
    step('delete_disk deletes it; has_disk turns false; a second delete succeeds', async () => {
      await backend().deleteDisk(ctx('delete_disk'), need('disk'));
      assert.equal(await backend().hasDisk(ctx('has_disk'), need('disk')), false);
      await expectOkOr(() => backend().deleteDisk(ctx('delete_disk'), need('disk')), 'Bosh::Clouds::DiskNotFound');
    });
  }
  if (parts.vms) {
    step('delete_vm deletes it; has_vm turns false; a second delete succeeds', async () => {
      await backend().deleteVm(ctx('delete_vm'), need('vm'));
      assert.equal(await backend().hasVm(ctx('has_vm'), need('vm')), false);
      await expectOkOr(() => backend().deleteVm(ctx('delete_vm'), need('vm')), 'Bosh::Clouds::VMNotFound');
    });
    step('unknown VM CIDs: has_vm false, delete_vm fine, reboot_vm VMNotFound', async () => {
      const cid = nativeCid('vm', unknownCid());
      assert.equal(await backend().hasVm(ctx('has_vm'), cid), false);
      await expectOkOr(() => backend().deleteVm(ctx('delete_vm'), cid), 'Bosh::Clouds::VMNotFound');
      await expectError(() => backend().rebootVm(ctx('reboot_vm'), cid), 'Bosh::Clouds::VMNotFound');
    });
  }
  if (parts.disks) {
    step('unknown disk CIDs: has_disk false, delete_disk fine', async () => {
      const cid = nativeCid('disk', unknownCid());
      assert.equal(await backend().hasDisk(ctx('has_disk'), cid), false);
      await expectOkOr(() => backend().deleteDisk(ctx('delete_disk'), cid), 'Bosh::Clouds::DiskNotFound');
    });
  }
  if (parts.stemcells) {
    step('delete_stemcell deletes it, and a second delete succeeds', async () => {
      await backend().deleteStemcell(ctx('delete_stemcell'), need('stemcell'));
      await backend().deleteStemcell(ctx('delete_stemcell'), need('stemcell'));
    });
  }
  step('closes the backend', async () => backend().close?.());
  return steps;
}

/** Registers the steps as one sequential suite with a describe/it style runner. */
export function describeConformance(
  runner: { describe: (name: string, fn: () => void) => void; it: (name: string, fn: () => Promise<void>, timeout?: number) => void },
  name: string,
  options: ConformanceOptions,
  timeoutMs = 120_000,
): void {
  runner.describe(`conformance: ${name}`, () => {
    for (const step of conformanceSteps(options)) runner.it(step.name, () => step.run(), timeoutMs);
  });
}

function assertCid(cid: unknown): asserts cid is string {
  assert.equal(typeof cid, 'string');
  assert.ok((cid as string).length > 0, 'a CID must not be empty');
}

async function expectOkOr(fn: () => Promise<unknown>, type: string): Promise<void> {
  try {
    await fn();
  } catch (error) {
    assert.ok(isCpiError(error) && error.type === type, `expected success or ${type}, got ${String(error)}`);
  }
}

async function expectError(fn: () => Promise<unknown>, type: string): Promise<void> {
  await assert.rejects(fn, (error: unknown) => isCpiError(error) && error.type === type);
}
