// create_vm with disk_cids at the wire level: the parked node of the disks rebuilt in place, never
// unclaimed, through createIronicBackend on a MockAgent.
import { describe, expect, it } from 'vitest';
import type { CreateVmRequest, NativeCid } from '@hybrid-cpi/core';
import type { Node } from '../../../src/ironic/types.js';
import { vmCidFor, vmCidOnNode } from '../../../src/node/vm-cid.js';
import { encodeStemcellCid } from '../../../src/stemcell/cid.js';
import { NODE, nodeFixture } from '../ironic/helpers.js';
import { call, deployOf, useWire, type Wire } from '../wire.js';

const wire = useWire();
const AGENT_ID = 'agent-2';
const CID = vmCidOnNode(NODE, AGENT_ID);
const OLD = vmCidFor('agent-1');
const RESERVATION = '5e1f0000-aaaa-4bbb-8ccc-000000000001';
const DISK_ID = '0123456789ab';
const DISK = `${NODE}.${DISK_ID}` as NativeCid<'disk'>;
const MAC = '52:54:00:aa:bb:01';
const HASH = 'c'.repeat(64);
const REQUEST: CreateVmRequest = {
  agentId: AGENT_ID,
  stemcellCid: encodeStemcellCid({ diskFormat: 'qcow2', hashAlgo: 'sha256', hash: HASH, url: 'http://images.test/new.qcow2' }) as NativeCid<'stemcell'>,
  cloudProperties: {},
  networks: { default: { type: 'dynamic', cloud_properties: {} } },
  diskCids: [DISK],
  env: {},
};
const DISK_RECORD = { device: '/dev/sdc', size_mb: 1024, hint: '/dev/sdc', attached_to: null, metadata: {} };
const RECORD = { cid: CID, agent_id: AGENT_ID, enrolled: false, devices: { system: '/dev/sda', ephemeral: '/dev/sdb' }, since: 'T1' };
const INSTANCE_INFO = {
  image_source: 'http://images.test/new.qcow2',
  image_disk_format: 'qcow2',
  image_type: 'whole-disk',
  image_os_hash_algo: 'sha256',
  image_os_hash_value: HASH,
  root_gb: 20,
};
const parkedNode = (more: Partial<Node> = {}) =>
  nodeFixture({
    provision_state: 'active',
    power_state: 'power off',
    instance_uuid: RESERVATION,
    provision_updated_at: 'T1',
    extra: {
      bosh_parked: { vm: OLD, agent_id: 'agent-1', instance: 'cf db/0', since: 'S' },
      bosh_disks: { [DISK_ID]: DISK_RECORD },
      bosh_reservation: { uuid: RESERVATION, since: 'S' },
    },
    ...more,
  });
/** The node once the new VM took it: its record and image in place of the park mark. */
const taken = (more: Partial<Node> = {}) =>
  parkedNode({
    extra: { bosh_vm: RECORD, bosh_disks: { [DISK_ID]: DISK_RECORD }, bosh_reservation: { uuid: RESERVATION, since: 'S' } },
    instance_info: INSTANCE_INFO,
    ...more,
  });

/** Under the node's lock, the new VM takes the parked node; then its ports are read and the rebuild sent. */
function takesAndRebuilds(w: Wire): ReturnType<typeof deployOf> {
  const lock = w.lock(parkedNode());
  w.on(
    {
      method: 'PATCH',
      path: `/v1/nodes/${NODE}`,
      body: [
        { op: 'add', path: '/extra/bosh_vm', value: RECORD },
        { op: 'add', path: '/instance_info', value: INSTANCE_INFO },
        { op: 'remove', path: '/extra/bosh_parked' },
      ],
    },
    200,
    taken(),
  );
  lock.unlock();
  w.nics(NODE, MAC);
  w.deploySlots();
  const rebuild = deployOf('rebuild');
  w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: rebuild.body }, 202);
  return rebuild;
}

describe('create_vm onto the node of its disks', () => {
  it('rebuilds the parked node in place with the new image and config drive, then powers it on', async () => {
    const w = await wire();
    const rebuild = takesAndRebuilds(w);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, taken({ provision_state: 'deploying', target_provision_state: 'active' }));
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, taken({ provision_updated_at: 'T2' }));
    w.on({ method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'power on' } }, 202);
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, taken({ provision_updated_at: 'T2', power_state: 'power on' }));

    expect(await w.backend.createVm(call('create_vm'), REQUEST)).toEqual({
      cid: CID,
      networks: { default: { type: 'dynamic', cloud_properties: {}, mac: MAC } },
    });
    expect(rebuild.drive().metaData).toEqual({ 'instance-id': CID, hostname: CID, 'public-keys': {} });
    expect(w.logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual([
      'rebuilding the node in place with the new stemcell and config drive',
      'rebuilding',
      'rebuilding',
      'node is active',
      'powering the node on',
      'powering on',
    ]);
  });

  it('a failed rebuild parks the node again for its disks and answers VMCreationFailed', async () => {
    const w = await wire();
    takesAndRebuilds(w);
    const failed = taken({ provision_state: 'deploy failed', last_error: 'image checksum mismatch' });
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, failed);
    // Parked again: the VM's record becomes the mark (the time of the park matched by shape), still claimed.
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, failed);
    const lock = w.lock(failed);
    const parkedAgain = (text: string) => {
      const [park, disks, vm, ...more] = JSON.parse(text) as { op: string; path: string; value?: Record<string, unknown> }[];
      return (
        more.length === 0 &&
        park?.path === '/extra/bosh_parked' &&
        park.value?.['vm'] === CID &&
        park.value['agent_id'] === AGENT_ID &&
        disks?.path === '/extra/bosh_disks' &&
        JSON.stringify(vm) === JSON.stringify({ op: 'remove', path: '/extra/bosh_vm' })
      );
    };
    w.on({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: parkedAgain }, 200, parkedNode({ provision_state: 'deploy failed' }));
    lock.unlock();
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, parkedNode({ provision_state: 'deploy failed' }));

    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: true,
      message:
        `Creating VM ${CID} for agent ${AGENT_ID} on node ${NODE}, the node of disks ${DISK}: Rebuilding VM ${CID} on node ${NODE}: ` +
        `node ${NODE} is "deploy failed": image checksum mismatch`,
    });
  });

  it('a node that runs a VM the director knows is refused, and left as it is', async () => {
    const w = await wire();
    const running = parkedNode({
      extra: {
        bosh_vm: { cid: OLD, agent_id: 'agent-1', enrolled: false, metadata: { deployment: 'cf' } },
        bosh_disks: { [DISK_ID]: DISK_RECORD },
        bosh_reservation: { uuid: RESERVATION, since: 'S' },
      },
    });
    w.lock(running).unlock();

    await expect(w.backend.createVm(call('create_vm'), REQUEST)).rejects.toMatchObject({
      code: 'CPX_VM_CREATION_FAILED',
      okToRetry: false,
      message:
        `Creating VM ${CID} for agent ${AGENT_ID} on node ${NODE}, the node of disks ${DISK}: node node-1 (${NODE}) runs VM ${OLD} (agent agent-1); ` +
        `a node runs one VM: delete that VM first (bosh delete-vm ${OLD}), which parks the node for its disks`,
    });
  });
});
