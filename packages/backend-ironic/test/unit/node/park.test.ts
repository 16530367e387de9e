import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/ironic/types.js';
import { instanceName, parkOps } from '../../../src/node/park.js';

const VM = '0b7a4c1e-1111-5111-8111-000000000002';
const DISK = { device: '/dev/sdc', size_mb: 1024, hint: '/dev/sdc', attached_to: VM, metadata: {} };

function node(extra: Record<string, unknown>, instance_uuid: string | null = VM): Node {
  return { uuid: '6f1e2d3c-0000-4000-8000-000000000001', instance_uuid, extra } as unknown as Node;
}

describe('parkOps', () => {
  it("turns the VM record into a park mark, detaches the disks and records the claim as the disks'", () => {
    const ops = parkOps(
      node({ bosh_vm: { cid: VM, agent_id: 'a-1', enrolled: false, metadata: { deployment: 'cf', job: 'db', index: 2 } }, bosh_disks: { abcdef012345: DISK } }),
      VM,
    );
    expect(ops).toEqual([
      { op: 'add', path: '/extra/bosh_parked', value: { vm: VM, agent_id: 'a-1', instance: 'cf db/2', since: expect.stringMatching(/^\d{4}-.*Z$/) } },
      { op: 'add', path: '/extra/bosh_disks', value: { abcdef012345: { ...DISK, attached_to: null } } },
      { op: 'remove', path: '/extra/bosh_vm' },
      { op: 'add', path: '/extra/bosh_reservation', value: { uuid: VM, since: expect.any(String) } },
    ]);
  });

  it('keeps an existing reservation, and claims again a node whose claim someone dropped', () => {
    const reservation = 'c0c0c0c0-0000-4000-8000-000000000003';
    const ops = parkOps(
      node({ bosh_vm: { cid: VM, agent_id: 'a', enrolled: false }, bosh_disks: { abcdef012345: DISK }, bosh_reservation: { uuid: reservation } }, null),
      VM,
    );
    expect(ops.map((o) => o.path)).toEqual(['/extra/bosh_parked', '/extra/bosh_disks', '/extra/bosh_vm', '/instance_uuid']);
    expect(ops.at(-1)).toEqual({ op: 'add', path: '/instance_uuid', value: reservation });
  });
});

describe('instanceName', () => {
  it('is the deployment and job/index the director set, or null', () => {
    expect(instanceName({ deployment: 'cf', job: 'router', index: 0 })).toBe('cf router/0');
    expect(instanceName({ deployment: 'cf', instance_group: 'api', id: 'c0ffee' })).toBe('cf api/c0ffee');
    expect(instanceName({ deployment: 'cf' })).toBe('cf');
    expect(instanceName({})).toBeNull();
    expect(instanceName(undefined)).toBeNull();
  });
});
