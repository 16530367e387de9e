import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCpiError, type Backend, type NativeCid } from '@hybrid-cpi/core';
import { api, enrollFakeNode, removeNodes, type FakeNode } from '../../../../test/support/ironic-nodes.js';
import { STEMCELL, call, makeBackend, sharedLab } from './helpers.js';

const lab = sharedLab();
let backend: Backend;
const nodes: FakeNode[] = [];
beforeAll(async () => {
  backend = await makeBackend(lab);
});
afterAll(async () => {
  await backend.close?.();
  await removeNodes(
    lab,
    nodes.map((n) => n.uuid),
  );
});

async function freshPool(size: number): Promise<string> {
  const rc = `disks-${randomUUID().slice(0, 8)}`;
  for (let i = 0; i < size; i++) nodes.push(await enrollFakeNode(lab, { resourceClass: rc }));
  return rc;
}

const createVm = (rc: string, diskCids: NativeCid<'disk'>[] = [], agentId = `agent-${randomUUID()}`) =>
  backend.createVm(call('create_vm'), {
    agentId,
    stemcellCid: STEMCELL,
    cloudProperties: { resource_class: rc },
    networks: { n: { type: 'dynamic', cloud_properties: {} } },
    diskCids,
    env: {},
  });
const node = (uuid: string) => api(lab, 'GET', `/v1/nodes/${uuid}`);
const nodeOf = (disk: string) => disk.split('.')[0]!;
/** Ironic's own log line for this node's last cleaning decision. */
const cleaningLog = (uuid: string) =>
  fs
    .readFileSync(path.join(lab.dir, 'ironic.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(uuid) && /Automated cleaning is disabled|Executing automated cleaning/.test(l));

describe('local persistent disks', () => {
  it("lives on its VM's node; delete_vm keeps the node reserved, uncleaned, and create_vm with disk_cids gets it back", async () => {
    const rc = await freshPool(2);
    const vm = await createVm(rc);
    const disk = await backend.createDisk(call('create_disk'), { size: 100 * 1024, cloudProperties: {}, vmCid: vm.cid });
    const host = nodeOf(disk);
    expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${vm.cid}&fields=uuid`)).nodes[0].uuid).toBe(host);
    expect(await backend.attachDisk(call('attach_disk'), vm.cid, disk)).toEqual({ path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' });
    await backend.detachDisk(call('detach_disk'), vm.cid, disk);

    const before = cleaningLog(host).length;
    await backend.deleteVm(call('delete_vm'), vm.cid);
    const reserved = await node(host);
    expect(reserved).toMatchObject({
      provision_state: 'available',
      automated_clean: null,
      extra: { bosh_disks: { [disk.split('.')[1]!]: { device: '/dev/sdd', attached_to: null } } },
    });
    expect(reserved.instance_uuid).toBe(reserved.extra.bosh_reservation.uuid);
    expect(cleaningLog(host).slice(before).join('\n')).toMatch(/Automated cleaning is disabled via API/);
    expect(await backend.hasDisk(call('has_disk'), disk)).toBe(true);

    // Other work never gets the reserved node: the only free one goes, then nothing is left.
    const other = await createVm(rc);
    expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${other.cid}&fields=uuid`)).nodes[0].uuid).not.toBe(host);
    const refused = await createVm(rc).catch((e: unknown) => e);
    expect(String(refused)).toMatch(new RegExp(`${host}\\): already claimed by instance ${reserved.instance_uuid}`));

    const again = await createVm(rc, [disk]);
    expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${again.cid}&fields=uuid`)).nodes[0].uuid).toBe(host);
    expect(await backend.attachDisk(call('attach_disk'), again.cid, disk)).toEqual({ path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' });
    expect(await backend.getDisks!(call('get_disks'), again.cid)).toEqual([disk]);
    await backend.detachDisk(call('detach_disk'), again.cid, disk);

    // delete_disk while the VM runs: the wipe waits for the node's release, which cleans it.
    await backend.deleteDisk(call('delete_disk'), disk);
    expect((await node(host)).extra.bosh_wipe).toEqual(['/dev/sdd']);
    const released = cleaningLog(host).length;
    await backend.deleteVm(call('delete_vm'), again.cid);
    expect(cleaningLog(host).slice(released).join('\n')).toMatch(/Executing automated cleaning on node/);
    expect(await node(host)).toMatchObject({ provision_state: 'available', instance_uuid: null, extra: {}, automated_clean: null });
    await backend.deleteVm(call('delete_vm'), other.cid);
  });

  it('without a VM reserves a node; its deletion cleans the node and puts it back in the pool', async () => {
    const rc = await freshPool(1);
    const disk = await backend.createDisk(call('create_disk'), { size: 500 * 1024, cloudProperties: { resource_class: rc }, vmCid: undefined });
    const host = nodeOf(disk);
    const reserved = await node(host);
    expect(reserved.extra.bosh_disks[disk.split('.')[1]!]).toMatchObject({ device: '/dev/sdc', hint: '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4' });
    expect(reserved.instance_uuid).toBe(reserved.extra.bosh_reservation.uuid);

    const vm = await createVm(rc, [disk]);
    await backend.deleteVm(call('delete_vm'), vm.cid);
    const before = cleaningLog(host).length;
    await backend.deleteDisk(call('delete_disk'), disk);
    expect(cleaningLog(host).slice(before).join('\n')).toMatch(/Executing automated cleaning on node/);
    expect(await node(host)).toMatchObject({ provision_state: 'available', instance_uuid: null, extra: {} });
    expect(await backend.hasDisk(call('has_disk'), disk)).toBe(false);
    await backend.deleteDisk(call('delete_disk'), disk);
  });

  it('refuses a disk larger than any free device, leaving nothing behind', async () => {
    const rc = await freshPool(1);
    const error = await backend
      .createDisk(call('create_disk'), { size: 2000 * 1024, cloudProperties: { resource_class: rc }, vmCid: undefined })
      .catch((e: unknown) => e);
    expect(isCpiError(error) && error.type).toBe('Bosh::Clouds::NoDiskSpace');
    expect(String(error)).toMatch(/\/dev\/sdc: 983040 MiB is less than 2048000 MiB/);
    expect(await node(nodes.at(-1)!.uuid)).toMatchObject({ instance_uuid: null, extra: {} });
  });

  it('refuses to attach a disk to a VM on another node, and create_vm with a disk whose node is taken', async () => {
    const rc = await freshPool(2);
    const a = await createVm(rc);
    const b = await createVm(rc);
    const disk = await backend.createDisk(call('create_disk'), { size: 1024, cloudProperties: { persistent_disk: '/dev/sdc' }, vmCid: a.cid });
    await expect(backend.attachDisk(call('attach_disk'), b.cid, disk)).rejects.toThrowError(/is a local disk of node .* but the VM runs on node/);
    await expect(createVm(rc, [disk])).rejects.toThrowError(/is taken \(provision state 'active', instance /);
    await backend.deleteDisk(call('delete_disk'), disk);
    for (const vm of [a, b]) await backend.deleteVm(call('delete_vm'), vm.cid);
  });
});

describe('the devices of a node', () => {
  it("come from Ironic's inspection inventory when the node was inspected", async () => {
    const rc = await freshPool(1);
    const host = nodes.at(-1)!;
    // Inspection stores the inventory in Ironic's database; seed it the way inspection would.
    const db = new DatabaseSync(path.join(lab.dir, 'ironic.sqlite'));
    db.exec('PRAGMA busy_timeout = 10000');
    const { id } = db.prepare('SELECT id FROM nodes WHERE uuid = ?').get(host.uuid) as { id: number };
    const inventory = {
      disks: [
        { name: '/dev/sda', size: 2 ** 38 },
        { name: '/dev/sdb', size: 2 ** 38 },
        { name: '/dev/nvme0n1', size: 2 ** 41, serial: 'NVME-INSPECTED', wwn: 'eui.0025385b71b0c4e2' },
      ],
    };
    const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
    // `version` is the object version Ironic's object layer checks when it loads the row.
    db.prepare('INSERT INTO node_inventory (inventory_data, plugin_data, node_id, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?)').run(
      JSON.stringify(inventory),
      '{}',
      id,
      now,
      now,
      '1.0',
    );
    db.close();

    const disk = await backend.createDisk(call('create_disk'), {
      size: 1024 * 1024,
      cloudProperties: { resource_class: rc, persistent_disk: { serial: 'NVME-INSPECTED' } },
      vmCid: undefined,
    });
    expect((await node(host.uuid)).extra.bosh_disks[disk.split('.')[1]!]).toMatchObject({
      device: '/dev/nvme0n1',
      hint: '/dev/disk/by-id/wwn-eui.0025385b71b0c4e2',
    });
    await backend.deleteDisk(call('delete_disk'), disk);
    expect(await node(host.uuid)).toMatchObject({ instance_uuid: null, extra: {} });
  });
});
