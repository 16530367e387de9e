import { describe, expect, it } from 'vitest';
import { assessNodes } from '../../src/operator/fit.js';
import { nodeStatus } from '../../src/operator/node-status.js';
import type { PoolNode } from '../../src/operator/pool.js';

const UUID = '6f1e2d3c-0000-4000-8000-000000000001';
const VM = '0b7a4c1e-1111-5111-8111-000000000002';

function node(overrides: Partial<PoolNode> = {}): PoolNode {
  return {
    uuid: UUID,
    name: 'n1',
    provision_state: 'available',
    power_state: 'power off',
    maintenance: false,
    maintenance_reason: null,
    fault: null,
    instance_uuid: null,
    resource_class: 'general',
    conductor_group: '',
    properties: { memory_mb: 8192 },
    traits: [],
    extra: {},
    last_error: null,
    target_provision_state: null,
    ...overrides,
  } as PoolNode;
}

describe('nodeStatus', () => {
  it('a free node', () => {
    expect(nodeStatus(node())).toMatchObject({ use: 'free', reason: null, vm: null, disks: [], enrolled: false });
  });

  it('a node carrying a VM the CPI enrolled, with the director metadata and an attached disk', () => {
    const s = nodeStatus(
      node({
        provision_state: 'active',
        instance_uuid: VM,
        extra: {
          bosh_vm: { cid: VM, agent_id: 'a-1', enrolled: true, metadata: { deployment: 'cf', job: 'router', index: 3 } },
          bosh_disks: { abcdef012345: { device: '/dev/sdc', size_mb: 1024, hint: '/dev/sdc', attached_to: VM, metadata: {} } },
        },
      }),
    );
    expect(s).toMatchObject({ use: 'vm', enrolled: true, vm: { cid: VM, agent_id: 'a-1', deployment: 'cf', job: 'router', index: '3' } });
    expect(s.disks).toEqual([{ cid: `${UUID}.abcdef012345`, device: '/dev/sdc', size_mb: 1024, attached_to: VM }]);
  });

  it('a node reserved for its disks by create_disk, never deployed', () => {
    const reservation = 'c0c0c0c0-0000-4000-8000-000000000003';
    const s = nodeStatus(
      node({ instance_uuid: reservation, extra: { bosh_reservation: { uuid: reservation, since: '2026-11-30T09:12:44.123Z' }, bosh_disks: {} } }),
    );
    expect(s).toMatchObject({
      use: 'parked',
      parked: { since: '2026-11-30T09:12:44.123Z', instance: null, vm: null },
      reason: 'reserved for its disks since 2026-11-30T09:12:44Z, no VM yet',
    });
    // A reservation of an older release, without `since`.
    expect(nodeStatus(node({ instance_uuid: reservation, extra: { bosh_reservation: { uuid: reservation, automated_clean: null } } }))).toMatchObject({
      use: 'parked',
      reason: 'reserved for its disks, no VM yet',
    });
  });

  it('a node parked for its disks after its VM: the instance it waits for and since when', () => {
    const s = nodeStatus(
      node({
        provision_state: 'active',
        instance_uuid: VM,
        extra: {
          bosh_reservation: { uuid: VM, since: '2026-11-01T08:00:00.000Z' },
          bosh_parked: { vm: VM, agent_id: 'a-1', instance: 'cf db/0', since: '2026-11-30T09:12:44.123Z' },
          bosh_disks: { abcdef012345: { device: '/dev/sdc', size_mb: 1024, hint: '/dev/sdc', attached_to: null, metadata: {} } },
        },
      }),
    );
    expect(s).toMatchObject({ use: 'parked', vm: null, parked: { since: '2026-11-30T09:12:44.123Z', instance: 'cf db/0', vm: VM } });
    expect(s.reason).toBe(`waits for cf db/0 (last VM ${VM}) since 2026-11-30T09:12:44Z`);
  });

  it("a VM rebuilt on its disks' node: ours, though the claim is the disks'", () => {
    const cid = `${UUID}.${VM}`;
    expect(
      nodeStatus(
        node({ provision_state: 'active', instance_uuid: VM, extra: { bosh_reservation: { uuid: VM }, bosh_vm: { cid, agent_id: 'a-2', enrolled: false } } }),
      ),
    ).toMatchObject({ use: 'vm', parked: null, vm: { cid } });
  });

  it('a node the CPI is releasing', () => {
    expect(
      nodeStatus(
        node({
          provision_state: 'cleaning',
          extra: { bosh_release: { claim: VM, vm: VM, wipe: ['/dev/sdc'], automated_clean: null, enrolled: false, provision_updated_at: null } },
        }),
      ),
    ).toMatchObject({
      use: 'unavailable',
      reason: "being released by the CPI (provision state 'cleaning'); a retry of the delete_vm or delete_disk finishes it",
    });
  });

  it('quarantine wins over everything, with the reason', () => {
    expect(
      nodeStatus(
        node({ maintenance: true, maintenance_reason: 'bad DIMM', instance_uuid: VM, extra: { bosh_vm: { cid: VM, agent_id: 'a', enrolled: false } } }),
      ),
    ).toMatchObject({ use: 'quarantined', reason: 'maintenance: bad DIMM' });
    expect(nodeStatus(node({ provision_state: 'deploy failed', last_error: 'IPMI timeout' }))).toMatchObject({
      use: 'quarantined',
      reason: 'deploy failed: IPMI timeout',
    });
    expect(nodeStatus(node({ fault: 'power failure' }))).toMatchObject({ use: 'quarantined', reason: 'fault: power failure' });
  });

  it('a claim that is not ours, and a node not yet available', () => {
    expect(nodeStatus(node({ instance_uuid: VM })).use).toBe('foreign');
    expect(nodeStatus(node({ provision_state: 'manageable' }))).toMatchObject({ use: 'unavailable', reason: "provision state 'manageable'" });
  });
});

describe('assessNodes', () => {
  it('tells a busy node that fits from a node that never fits', () => {
    const busy = node({ provision_state: 'active', instance_uuid: VM, properties: { memory_mb: 65536 } });
    const small = node({ uuid: '6f1e2d3c-0000-4000-8000-000000000009', properties: { memory_mb: 8192 } });
    const [b, s] = assessNodes([busy, small], { minimums: { memory_mb: 16384 } });
    expect(b).toMatchObject({ rejection: "provision state is 'active', not 'available'", mismatch: undefined });
    expect(s).toMatchObject({ rejection: 'memory_mb is 8192, less than 16384', mismatch: 'memory_mb is 8192, less than 16384' });
  });

  it('says a parked node waits for its instance, and would fit once free', () => {
    const parked = node({
      provision_state: 'active',
      instance_uuid: VM,
      extra: { bosh_parked: { vm: VM, agent_id: 'a', instance: 'cf db/0', since: 'x' }, bosh_disks: { a: {} } },
    });
    expect(assessNodes([parked], {})[0]).toMatchObject({ rejection: 'parked for its persistent disks (instance cf db/0)', mismatch: undefined });
  });
});
