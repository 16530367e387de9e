// delete_vm at the wire level: the node given back (undeployed, its marks cleared, deleted when the
// CPI enrolled it) or parked for its disks, through createIronicBackend on a MockAgent.
import { describe, expect, it } from 'vitest';
import type { NativeCid } from '@hybrid-cpi/core';
import type { Node } from '../../../src/ironic/types.js';
import { vmCidFor } from '../../../src/node/vm-cid.js';
import { NODE, nodeFixture } from '../ironic/helpers.js';
import { call, useWire, type Wire } from '../wire.js';

const wire = useWire();
const AGENT_ID = 'agent-1';
const CID = vmCidFor(AGENT_ID);
const RECORD = { cid: CID, agent_id: AGENT_ID, enrolled: false, devices: { system: '/dev/sda', ephemeral: '/dev/sdb' } };
const deployed = (more: Partial<Node> = {}) =>
  nodeFixture({ provision_state: 'active', power_state: 'power on', instance_uuid: CID, instance_info: { image_source: 'http://i' }, ...more });

const progress = (w: Wire) => w.logs.filter((l) => l.msg === 'waiting for the node').map((l) => l.fields['state']);

describe('delete_vm gives the node back', () => {
  it('removes its VM record under the lock, undeploys it and waits until Ironic has cleaned it', async () => {
    const w = await wire();
    w.claimedBy(CID, NODE);
    const node = deployed({ extra: { bosh_vm: RECORD } });
    const lock = w.lock(node);
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'remove', path: '/extra/bosh_vm' }] }, 200, { ...node, extra: {} });
    lock.unlock();
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...node, extra: {}, provision_state: 'deleting', target_provision_state: 'available' });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...node, extra: {}, provision_state: 'cleaning', target_provision_state: 'available' });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, nodeFixture({ power_state: 'power on' }));

    await w.backend.deleteVm(call('delete_vm'), CID);
    expect(progress(w)).toEqual(['deleting', 'cleaning', 'available']);
    expect(w.sleeps).toHaveLength(2);
  });

  it('a node the CPI enrolled, with a deleted disk to wipe: marked, undeployed with cleaning forced, re-claimed, cleared, deleted', async () => {
    const w = await wire();
    w.claimedBy(CID, NODE);
    const node = deployed({ extra: { bosh_vm: { ...RECORD, enrolled: true }, bosh_wipe: ['/dev/sdc'] }, provision_updated_at: 'T1' });
    const mark = { claim: CID, vm: CID, wipe: ['/dev/sdc'], automated_clean: null, enrolled: true, provision_updated_at: 'T1' };
    const marked = { ...node, extra: { bosh_release: mark }, automated_clean: true };
    const lock = w.lock(node);
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'add', path: '/extra/bosh_release', value: mark },
          { op: 'remove', path: '/extra/bosh_vm' },
          { op: 'remove', path: '/extra/bosh_wipe' },
          { op: 'replace', path: '/automated_clean', value: true },
        ],
      },
      200,
      marked,
    );
    lock.unlock();
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, marked);
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }, 202);
    // The undeploy dropped the claim and instance_info; extra stays.
    const undeployed = { ...marked, provision_state: 'available', instance_uuid: null, instance_info: {}, provision_updated_at: 'T2' };
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, undeployed);
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 200, { ...undeployed, instance_uuid: CID });
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'remove', path: '/extra/bosh_release' },
          { op: 'remove', path: '/instance_uuid' },
          { op: 'replace', path: '/automated_clean', value: null },
        ],
      },
      200,
      nodeFixture(),
    );
    w.on({ method: 'DELETE', path: `/v1/nodes/${NODE}` }, 204);

    await w.backend.deleteVm(call('delete_vm'), CID);
    expect(w.logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      'undeploying the node; its cleaning wipes the deleted disks',
      'waiting for the node',
      'node released',
    ]);
  });

  it('a node another claimant took once the undeploy dropped the claim is left to it, its mark kept', async () => {
    const w = await wire();
    w.claimedBy(CID, NODE);
    const node = deployed({ extra: { bosh_vm: { ...RECORD, enrolled: true } }, provision_updated_at: 'T1' });
    const mark = { claim: CID, vm: CID, wipe: [], automated_clean: null, enrolled: true, provision_updated_at: 'T1' };
    const marked = { ...node, extra: { bosh_release: mark } };
    const lock = w.lock(node);
    w.on(
      {
        method: 'PATCH',
        path: `/v1/nodes/${NODE}`,
        body: [
          { op: 'add', path: '/extra/bosh_release', value: mark },
          { op: 'remove', path: '/extra/bosh_vm' },
        ],
      },
      200,
      marked,
    );
    lock.unlock();
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, marked);
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...marked, provision_state: 'available', instance_uuid: null, instance_info: {} });
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }, 409, {
      error_message: JSON.stringify({ faultcode: 'Client', faultstring: `Node ${NODE} is associated with instance c0ffee00-0000-4000-8000-000000000000.` }),
    });

    await w.backend.deleteVm(call('delete_vm'), CID);
    expect(w.logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'another claimant took the released node before the CPI cleared its marks; extra.bosh_release stays on it',
    ]);
  });

  it('a deploy waiting for its call-back is aborted where Ironic can (API 1.110), then the node undeployed', async () => {
    const w = await wire({}, { maximum: '1.110' });
    w.claimedBy(CID, NODE);
    const waiting = deployed({ provision_state: 'wait call-back', target_provision_state: 'active', power_state: 'power on', extra: { bosh_vm: RECORD } });
    w.lock(waiting).unlock();
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, microversion: '1.110', body: { target: 'abort' } }, 202);
    const failed = { ...waiting, provision_state: 'deploy failed' as const, target_provision_state: null, last_error: 'aborted' };
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, failed);
    // Decided again under the lock: now a failed deploy, undeployed as any other.
    const lock = w.lock(failed);
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'remove', path: '/extra/bosh_vm' }] }, 200, { ...failed, extra: {} });
    lock.unlock();
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, nodeFixture());

    await w.backend.deleteVm(call('delete_vm'), CID);
  });

  it('a VM that is gone (no node carries its CID) is success; a CID that is none of ours asks Ironic nothing', async () => {
    const w = await wire();
    w.claimedBy(CID, undefined);
    await w.backend.deleteVm(call('delete_vm'), CID);
    await w.backend.deleteVm(call('delete_vm'), 'i-0abc' as NativeCid<'vm'>);
  });
});

describe('delete_vm of a VM whose node holds persistent disks', () => {
  it('parks the node instead: deployed and claimed, its disks detached and reserved, then powered off', async () => {
    const w = await wire();
    w.claimedBy(CID, NODE);
    const disk = { device: '/dev/sdc', size_mb: 1024, hint: '/dev/sdc', attached_to: CID, metadata: {} };
    const record = { ...RECORD, metadata: { deployment: 'cf', job: 'router', index: 0 } };
    const node = deployed({ extra: { bosh_vm: record, bosh_disks: { '0123456789ab': disk } } });
    const lock = w.lock(node);
    // The park's times are the moment it happened: matched by shape.
    const parked = (text: string) => {
      const ops = JSON.parse(text) as { op: string; path: string; value?: Record<string, unknown> }[];
      const [park, disks, vm, reservation] = ops;
      return (
        ops.length === 4 &&
        park?.op === 'add' &&
        park.path === '/extra/bosh_parked' &&
        JSON.stringify(Object.keys(park.value ?? {})) === '["vm","agent_id","instance","since"]' &&
        park.value?.['vm'] === CID &&
        park.value['agent_id'] === AGENT_ID &&
        park.value['instance'] === 'cf router/0' &&
        JSON.stringify(disks) === JSON.stringify({ op: 'add', path: '/extra/bosh_disks', value: { '0123456789ab': { ...disk, attached_to: null } } }) &&
        JSON.stringify(vm) === JSON.stringify({ op: 'remove', path: '/extra/bosh_vm' }) &&
        reservation?.path === '/extra/bosh_reservation' &&
        reservation.value?.['uuid'] === CID &&
        reservation.value['since'] === park.value['since']
      );
    };
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: parked }, 200, node);
    lock.unlock();
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, node);
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'power off' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...node, power_state: 'power on', target_power_state: 'power off' });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, { ...node, power_state: 'power off' });

    await w.backend.deleteVm(call('delete_vm'), CID);
    expect(w.logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      'powering the node off; it stays deployed and claimed for its disks',
      'powering off',
      'powering off',
      'node parked for its disks',
    ]);
  });
});
