import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCpiError, type Backend, type NativeCid } from '@hybrid-cpi/core';
import { api, enrollFakeNode, removeNodes, type FakeNode } from '../../../../test/support/ironic-nodes.js';
import { startIronicRecorder, type IronicRecorder, type RecordedRequest } from '../../../../test/support/ironic-recorder.js';
import { invariantBreaks, statesSeen, watchNode } from '../../../../test/support/node-watch.js';
import { encodeStemcellCid } from '../../src/stemcell/cid.js';
import { vmCidFor } from '../../src/node/vm-cid.js';
import { STEMCELL, call, makeBackend, sharedLab } from './helpers.js';

const lab = sharedLab();
let backend: Backend;
let recorder: IronicRecorder;
const nodes: FakeNode[] = [];
beforeAll(async () => {
  recorder = await startIronicRecorder(lab.url);
  backend = await makeBackend({ ...lab, url: recorder.url });
});
afterAll(async () => {
  await backend.close?.();
  await recorder?.stop();
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

const NEW_STEMCELL = encodeStemcellCid({
  diskFormat: 'qcow2',
  hashAlgo: 'sha256',
  hash: 'b'.repeat(64),
  url: 'http://127.0.0.1:9/stemcell-2.qcow2',
}) as NativeCid<'stemcell'>;
const createVm = (rc: string, diskCids: NativeCid<'disk'>[] = [], agentId = `agent-${randomUUID()}`, stemcell = STEMCELL) =>
  backend.createVm(call('create_vm'), {
    agentId,
    stemcellCid: stemcell,
    cloudProperties: { resource_class: rc },
    networks: { n: { type: 'dynamic', cloud_properties: {} } },
    diskCids,
    env: {},
  });
const node = (uuid: string) => api(lab, 'GET', `/v1/nodes/${uuid}`);
const nodeOf = (disk: string) => disk.split('.')[0]!;
const idOf = (disk: string) => disk.split('.')[1]!;
const metadata = (job: string) => ({ director: 'bosh', deployment: 'cf', job, index: '0', id: 'c0ffee' });
/** Ironic's own log line for this node's last cleaning decision. */
const cleaningLog = (uuid: string) =>
  fs
    .readFileSync(path.join(lab.dir, 'ironic.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(uuid) && /Automated cleaning is disabled|Executing automated cleaning/.test(l));
/** The provision verbs the CPI sent to a node. */
const verbs = (requests: readonly RecordedRequest[], uuid: string) =>
  requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/v1/nodes/${uuid}/states/provision`)).map((r) => (r.body as { target: string }).target);

describe('local persistent disks: recreate in place', () => {
  it('delete_vm parks the node (deployed, off, claimed), create_vm with disk_cids rebuilds it (any stemcell): never available, cleaned or free', async () => {
    const rc = await freshPool(2);
    const vm = await createVm(rc);
    await backend.setVmMetadata!(call('set_vm_metadata'), vm.cid, metadata('db'));
    const disk = await backend.createDisk(call('create_disk'), { size: 100 * 1024, cloudProperties: {}, vmCid: vm.cid });
    const host = nodeOf(disk);
    const watch = watchNode(lab, host);
    expect(await backend.attachDisk(call('attach_disk'), vm.cid, disk)).toEqual({ path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' });

    // delete_vm without detaching first (as after an unresponsive agent): the node is parked.
    recorder.take();
    await backend.deleteVm(call('delete_vm'), vm.cid);
    expect(verbs(recorder.take(), host)).toEqual([]);
    const parked = await node(host);
    expect(parked).toMatchObject({
      provision_state: 'active',
      power_state: 'power off',
      instance_uuid: vm.cid,
      extra: {
        bosh_parked: { vm: vm.cid, instance: 'cf db/0' },
        bosh_reservation: { uuid: vm.cid },
        bosh_disks: { [idOf(disk)]: { device: '/dev/sdd', attached_to: null } },
      },
    });
    expect(parked.extra.bosh_vm).toBeUndefined();
    expect(await backend.hasVm(call('has_vm'), vm.cid)).toBe(false);
    expect(await backend.hasDisk(call('has_disk'), disk)).toBe(true);
    await backend.deleteVm(call('delete_vm'), vm.cid); // a repeat changes nothing
    expect((await node(host)).extra).toEqual(parked.extra);

    // Other work never gets the parked node: the only free one goes, then nothing is left.
    const other = await createVm(rc);
    expect((await api(lab, 'GET', `/v1/nodes?instance_uuid=${other.cid}&fields=uuid`)).nodes[0].uuid).not.toBe(host);
    expect(String(await createVm(rc).catch((e: unknown) => e))).toMatch(new RegExp(`${host}\\): parked for its persistent disks \\(instance cf db/0\\)`));

    // A recreate with the same stemcell and a new agent: rebuilt in place.
    const agent = `agent-${randomUUID()}`;
    const again = await createVm(rc, [disk], agent);
    expect(again.cid).toBe(`${host}.${vmCidFor(agent)}`);
    expect(verbs(recorder.take(), host)).toEqual(['rebuild']);
    expect(await node(host)).toMatchObject({
      provision_state: 'active',
      power_state: 'power on',
      instance_uuid: vm.cid,
      extra: { bosh_vm: { cid: again.cid, agent_id: agent } },
    });
    expect(await backend.hasVm(call('has_vm'), again.cid)).toBe(true);
    expect(await backend.attachDisk(call('attach_disk'), again.cid, disk)).toEqual({ path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' });
    expect(await backend.getDisks!(call('get_disks'), again.cid)).toEqual([disk]);
    await backend.setVmMetadata!(call('set_vm_metadata'), again.cid, metadata('db'));
    await backend.detachDisk(call('detach_disk'), again.cid, disk);

    // And with a new stemcell.
    await backend.deleteVm(call('delete_vm'), again.cid);
    expect(await backend.hasVm(call('has_vm'), again.cid)).toBe(false);
    recorder.take();
    const upgraded = await createVm(rc, [disk], `agent-${randomUUID()}`, NEW_STEMCELL);
    expect(verbs(recorder.take(), host)).toEqual(['rebuild']);
    expect((await node(host)).instance_info).toMatchObject({ image_source: 'http://127.0.0.1:9/stemcell-2.qcow2', image_os_hash_value: 'b'.repeat(64) });

    // An attachment to a VM that is gone from the node (a delete_vm killed before it detached)
    // does not stand in the way of the new VM.
    await api(lab, 'PATCH', `/v1/nodes/${host}`, [{ op: 'replace', path: `/extra/bosh_disks/${idOf(disk)}/attached_to`, value: again.cid }]);
    expect(await backend.attachDisk(call('attach_disk'), upgraded.cid, disk)).toEqual({ path: '/dev/disk/by-path/pci-0000:00:1f.2-ata-4' });
    await backend.detachDisk(call('detach_disk'), upgraded.cid, disk);

    // delete_disk while the VM runs: the wipe waits for the node's release, which cleans it; the
    // device waiting for it is not given to a new disk.
    const samples = await watch.stop();
    await backend.deleteDisk(call('delete_disk'), disk);
    expect((await node(host)).extra.bosh_wipe).toEqual(['/dev/sdd']);
    const next = await backend.createDisk(call('create_disk'), { size: 1024, cloudProperties: {}, vmCid: upgraded.cid });
    expect((await node(host)).extra.bosh_disks[idOf(next)].device).toBe('/dev/sdc');
    await backend.deleteDisk(call('delete_disk'), next);
    expect((await node(host)).extra.bosh_wipe).toEqual(['/dev/sdd', '/dev/sdc']);
    expect(invariantBreaks(samples)).toEqual([]);
    expect(statesSeen(samples).filter((s) => s !== 'active' && s !== 'deploying')).toEqual([]);
    const released = cleaningLog(host).length;
    await backend.deleteVm(call('delete_vm'), upgraded.cid);
    expect(cleaningLog(host).slice(released).join('\n')).toMatch(/Executing automated cleaning on node/);
    expect(await node(host)).toMatchObject({ provision_state: 'available', instance_uuid: null, extra: {}, automated_clean: null });
    await backend.deleteVm(call('delete_vm'), other.cid);
  });

  it('the last delete_disk of a parked node undeploys it with a wipe and puts it back in the pool', async () => {
    const rc = await freshPool(1);
    const vm = await createVm(rc);
    const disks = [];
    for (const size of [1024, 2048]) disks.push(await backend.createDisk(call('create_disk'), { size, cloudProperties: {}, vmCid: vm.cid }));
    const host = nodeOf(disks[0]!);
    await backend.deleteVm(call('delete_vm'), vm.cid);
    await backend.deleteDisk(call('delete_disk'), disks[0]!);
    expect(await node(host)).toMatchObject({ provision_state: 'active', instance_uuid: vm.cid, extra: { bosh_wipe: ['/dev/sdd'] } });
    const before = cleaningLog(host).length;
    recorder.take();
    await backend.deleteDisk(call('delete_disk'), disks[1]!);
    expect(verbs(recorder.take(), host)).toEqual(['deleted']);
    expect(cleaningLog(host).slice(before).join('\n')).toMatch(/Executing automated cleaning on node/);
    expect(await node(host)).toMatchObject({ provision_state: 'available', instance_uuid: null, extra: {}, automated_clean: null });
    await backend.deleteDisk(call('delete_disk'), disks[1]!);
  });

  it('without a VM reserves a node; create_vm deploys it in place; its deletion cleans the node and puts it back in the pool', async () => {
    const rc = await freshPool(1);
    const disk = await backend.createDisk(call('create_disk'), { size: 500 * 1024, cloudProperties: { resource_class: rc }, vmCid: undefined });
    const host = nodeOf(disk);
    const reserved = await node(host);
    expect(reserved.extra.bosh_disks[idOf(disk)]).toMatchObject({ device: '/dev/sdc', hint: '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4' });
    expect(reserved.instance_uuid).toBe(reserved.extra.bosh_reservation.uuid);

    recorder.take();
    const vm = await createVm(rc, [disk]);
    expect(verbs(recorder.take(), host)).toEqual(['active']);
    expect(await node(host)).toMatchObject({ provision_state: 'active', instance_uuid: reserved.instance_uuid });
    await backend.deleteVm(call('delete_vm'), vm.cid);
    expect(await node(host)).toMatchObject({ provision_state: 'active', power_state: 'power off', instance_uuid: reserved.instance_uuid });
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
    expect(await node(nodes.at(-1)!.uuid)).toMatchObject({ instance_uuid: null, extra: {}, traits: [] });
  });

  it('refuses to attach a disk to a VM on another node, and create_vm with a disk whose node runs a VM the director knows', async () => {
    const rc = await freshPool(2);
    const a = await createVm(rc);
    const b = await createVm(rc);
    await backend.setVmMetadata!(call('set_vm_metadata'), a.cid, metadata('a'));
    const disk = await backend.createDisk(call('create_disk'), { size: 1024, cloudProperties: { persistent_disk: '/dev/sdc' }, vmCid: a.cid });
    await expect(backend.attachDisk(call('attach_disk'), b.cid, disk)).rejects.toThrowError(/is a local disk of node .* but the VM runs on node/);
    await expect(createVm(rc, [disk])).rejects.toThrowError(new RegExp(`runs VM ${a.cid} .*delete that VM first`));
    expect(await backend.hasVm(call('has_vm'), a.cid)).toBe(true);
    await backend.deleteDisk(call('delete_disk'), disk);
    for (const vm of [a, b]) await backend.deleteVm(call('delete_vm'), vm.cid);
  });

  it('takes the place of a VM a killed create_vm left (its metadata never set), and a retry with the same agent finds its own VM', async () => {
    const rc = await freshPool(1);
    const vm = await createVm(rc);
    const disk = await backend.createDisk(call('create_disk'), { size: 1024, cloudProperties: {}, vmCid: vm.cid });
    await backend.deleteVm(call('delete_vm'), vm.cid);
    const host = nodeOf(disk);
    // A create_vm whose answer never reached the director: its VM is on the node, without metadata.
    const lost = await createVm(rc, [disk]);
    const agent = `agent-${randomUUID()}`;
    const taken = await createVm(rc, [disk], agent);
    expect(taken.cid).not.toBe(lost.cid);
    expect((await node(host)).extra.bosh_vm).toMatchObject({ cid: taken.cid, agent_id: agent });
    recorder.take();
    expect((await createVm(rc, [disk], agent)).cid).toBe(taken.cid);
    expect(verbs(recorder.take(), host)).toEqual([]);
    await backend.deleteDisk(call('delete_disk'), disk);
    await backend.deleteVm(call('delete_vm'), taken.cid);
    expect(await node(host)).toMatchObject({ provision_state: 'available', instance_uuid: null, extra: {} });
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
    expect((await node(host.uuid)).extra.bosh_disks[idOf(disk)]).toMatchObject({ device: '/dev/nvme0n1', hint: '/dev/disk/by-id/wwn-eui.0025385b71b0c4e2' });
    await backend.deleteDisk(call('delete_disk'), disk);
    expect(await node(host.uuid)).toMatchObject({ instance_uuid: null, extra: {} });
  });
});
