// The disk methods at the wire level, through createIronicBackend on a MockAgent: a disk made on
// its VM's node or on a node claimed for it, attached, detached, and the last one deleted (the
// node cleaned and given back), every record change under the node's lock.
import { describe, expect, it } from 'vitest';
import type { NativeCid } from '@hybrid-cpi/core';
import type { Node } from '../../../src/ironic/types.js';
import { vmCidFor } from '../../../src/node/vm-cid.js';
import { NODE, ironicError, nodeFixture } from '../ironic/helpers.js';
import { call, useWire, type Wire } from '../wire.js';

const wire = useWire();
const CID = vmCidFor('agent-1');
const RECORD = { cid: CID, agent_id: 'agent-1', enrolled: false, devices: { system: '/dev/sda', ephemeral: '/dev/sdb' } };
const GIB = 2 ** 30;
const WWN = '0x5000c500a1b2c3d4';
const DEVICES = [
  { name: '/dev/sda', size: 100 * GIB },
  { name: '/dev/sdb', size: 100 * GIB },
  { name: '/dev/sdc', size: 50 * GIB, wwn: WWN },
  { name: '/dev/sdd', size: 200 * GIB },
];
const DISK_ID = '0123456789ab';
const DISK = `${NODE}.${DISK_ID}` as NativeCid<'disk'>;
const DISK_RECORD = { device: '/dev/sdc', size_mb: 10240, hint: `/dev/disk/by-id/wwn-${WWN}`, attached_to: null, metadata: {} };
const vmNode = (more: Partial<Node> = {}) =>
  nodeFixture({ provision_state: 'active', power_state: 'power on', instance_uuid: CID, extra: { bosh_vm: RECORD }, ...more });

/** The VM's node, found by its claim. */
function vmOn(w: Wire, node: Node): void {
  w.claimedBy(CID, NODE);
  w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, node);
}

/** A PATCH body matcher that keeps what it saw (new ids and times are made in the call). */
function seen<T>(match: (ops: { op: string; path: string; value?: unknown }[]) => T | undefined): { body: (text: string) => boolean; value(): T } {
  let value: T | undefined;
  return {
    body: (text) => {
      value = match(JSON.parse(text) as { op: string; path: string; value?: unknown }[]);
      return value !== undefined;
    },
    value: () => value!,
  };
}

describe('create_disk', () => {
  it("on its VM's node: the smallest free device that fits (never the agent's), recorded with the node's reservation", async () => {
    const w = await wire();
    const node = vmNode();
    vmOn(w, node);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}/inventory`, microversion: '1.81' }, 200, { inventory: { disks: DEVICES } });
    const lock = w.lock(node);
    const written = seen((ops) => {
      const [disks, reservation, ...more] = ops;
      const [id, ...others] = Object.keys((disks?.value ?? {}) as object);
      const r = reservation?.value as { uuid?: string; since?: string } | undefined;
      const exact =
        more.length === 0 &&
        others.length === 0 &&
        disks?.op === 'add' &&
        disks.path === '/extra/bosh_disks' &&
        JSON.stringify((disks.value as Record<string, unknown>)[id!]) === JSON.stringify(DISK_RECORD) &&
        reservation?.op === 'add' &&
        reservation.path === '/extra/bosh_reservation' &&
        r?.uuid === CID &&
        typeof r.since === 'string';
      return exact ? id : undefined;
    });
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: written.body }, 200, node);
    lock.unlock();

    const cid = await w.backend.createDisk(call('create_disk'), { size: 10240, cloudProperties: {}, vmCid: CID });
    expect(cid).toBe(`${NODE}.${written.value()}`);
  });

  it('without a VM: a free node claimed for the disk, claim, reservation and record in one PATCH', async () => {
    const w = await wire();
    w.on({ method: 'GET', path: '/', headers: { 'x-openstack-ironic-api-version': '1.52' } }, 200, {
      default_version: { min_version: '1.1', version: '1.82' },
    });
    const fields =
      'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra,retired,retired_reason';
    const free = { ...nodeFixture({ resource_class: 'bm.disk', properties: { disks: DEVICES } }), retired: false, retired_reason: null };
    w.on(
      {
        method: 'GET',
        path: '/v1/nodes',
        microversion: '1.61',
        query: { provision_state: 'available', associated: 'false', maintenance: 'false', resource_class: 'bm.disk', fields, limit: '1000' },
      },
      200,
      { nodes: [free], next: null },
    );
    // Never inspected: its devices come from properties.disks.
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}/inventory`, microversion: '1.81' }, 404, ironicError(`Node ${NODE} has no inventory.`));
    const written = seen((ops) => {
      const [claim, reservation, disks, ...more] = ops;
      const r = reservation?.value as { uuid?: string } | undefined;
      const [id, ...others] = Object.keys((disks?.value ?? {}) as object);
      const exact =
        more.length === 0 &&
        others.length === 0 &&
        claim?.op === 'add' &&
        claim.path === '/instance_uuid' &&
        reservation?.path === '/extra/bosh_reservation' &&
        r?.uuid === claim.value &&
        disks?.path === '/extra/bosh_disks' &&
        JSON.stringify((disks.value as Record<string, unknown>)[id!]) === JSON.stringify(DISK_RECORD);
      return exact ? id : undefined;
    });
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: written.body }, 200, free);

    const cid = await w.backend.createDisk(call('create_disk'), { size: 10240, cloudProperties: { resource_class: 'bm.disk' }, vmCid: undefined });
    expect(cid).toBe(`${NODE}.${written.value()}`);
  });
});

describe('attach_disk and detach_disk', () => {
  const withDisk = (attachedTo: string | null) =>
    vmNode({ extra: { bosh_vm: RECORD, bosh_disks: { [DISK_ID]: { ...DISK_RECORD, attached_to: attachedTo } } } });

  it("attach: the record names the VM (under the lock), and the agent gets the device's stable path", async () => {
    const w = await wire();
    vmOn(w, withDisk(null));
    const lock = w.lock(withDisk(null));
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [{ op: 'replace', path: `/extra/bosh_disks/${DISK_ID}`, value: { ...DISK_RECORD, attached_to: CID } }],
      },
      200,
      withDisk(CID),
    );
    lock.unlock();
    expect(await w.backend.attachDisk(call('attach_disk'), CID, DISK)).toEqual({ path: `/dev/disk/by-id/wwn-${WWN}` });
  });

  it('detach of a disk attached to no VM: DiskNotAttached, nothing written', async () => {
    const w = await wire();
    vmOn(w, withDisk(null));
    w.lock(withDisk(null)).unlock();
    await expect(w.backend.detachDisk(call('detach_disk'), CID, DISK)).rejects.toMatchObject({
      code: 'CPX_DISK_NOT_ATTACHED',
      message: `Detaching disk ${DISK} from VM ${CID}: it is not attached to that VM`,
    });
  });
});

describe('delete_disk of the last disk of a node reserved for it (never deployed)', () => {
  it('queues its device for a wipe, then gives the node back: cleaned by manage and provide, marks cleared, unclaimed', async () => {
    const w = await wire();
    const reservation = '5e1f0000-aaaa-4bbb-8ccc-000000000001';
    const reserved = (extra: Record<string, unknown>, more: Partial<Node> = {}) =>
      nodeFixture({ power_state: 'power off', instance_uuid: reservation, provision_updated_at: 'T1', extra, ...more });
    const held = { bosh_reservation: { uuid: reservation, since: 'S' } };
    // The record goes and its device waits for a wipe ...
    const lock = w.lock(reserved({ ...held, bosh_disks: { [DISK_ID]: DISK_RECORD } }));
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'remove', path: `/extra/bosh_disks/${DISK_ID}` },
          { op: 'add', path: '/extra/bosh_wipe', value: ['/dev/sdc'] },
        ],
      },
      200,
      reserved({ ...held, bosh_disks: {}, bosh_wipe: ['/dev/sdc'] }),
    );
    lock.unlock();
    // ... and, no VM on the node, it is given back: the give-back mark first, cleaning forced on ...
    const mark = { claim: reservation, vm: null, wipe: ['/dev/sdc'], automated_clean: null, enrolled: false, provision_updated_at: 'T1' };
    const marked = reserved({ ...held, bosh_release: mark }, { automated_clean: true });
    const lock2 = w.lock(reserved({ ...held, bosh_disks: {}, bosh_wipe: ['/dev/sdc'] }));
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'add', path: '/extra/bosh_release', value: mark },
          { op: 'remove', path: '/extra/bosh_disks' },
          { op: 'remove', path: '/extra/bosh_wipe' },
          { op: 'replace', path: '/automated_clean', value: true },
        ],
      },
      200,
      marked,
    );
    lock2.unlock();
    // ... then cleaned through manage and provide, still claimed by the reservation ...
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, marked);
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'manage' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...marked, provision_state: 'manageable' });
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'provide' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...marked, provision_state: 'cleaning', target_provision_state: 'available' });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...marked, provision_updated_at: 'T2' });
    // ... and the marks, the reservation, the forced cleaning and the claim go in one last write.
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'remove', path: '/extra/bosh_reservation' },
          { op: 'remove', path: '/extra/bosh_release' },
          { op: 'remove', path: '/instance_uuid' },
          { op: 'replace', path: '/automated_clean', value: null },
        ],
      },
      200,
      nodeFixture(),
    );

    await w.backend.deleteDisk(call('delete_disk'), DISK);
    expect(w.logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      "deleting disk; its device waits for the node's next cleaning",
      'cleaning the node to wipe the deleted disks',
      'waiting for the node',
      'waiting for the node',
      'waiting for the node',
      'node released',
    ]);
  });
});
