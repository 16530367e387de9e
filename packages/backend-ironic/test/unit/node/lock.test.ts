// The per-node lock at the wire level (a trait per process, see src/node/lock.ts), under
// set_vm_metadata through createIronicBackend on a MockAgent: contention, a dead holder, a node
// with no free trait slot, a busy node. test/integration/node-lock.test.ts races real processes.
import { describe, expect, it } from 'vitest';
import { thisHost } from '../../../src/node/lock.js';
import { vmCidFor } from '../../../src/node/vm-cid.js';
import { NODE, ironicError, nodeFixture } from '../ironic/helpers.js';
import { call, useWire, type Wire } from '../wire.js';

const wire = useWire();
const CID = vmCidFor('agent-1');
const RECORD = { cid: CID, agent_id: 'agent-1', enrolled: false };
const NODE_NOW = nodeFixture({ provision_state: 'active', instance_uuid: CID, extra: { bosh_vm: RECORD } });
const METADATA = { deployment: 'cf', job: 'router', index: '0' };
const TRAIT = new RegExp(`^/v1/nodes/${NODE}/traits/(CUSTOM_BOSH_LOCK_\\w+)$`);
/** A lock trait as another process left it a second ago: on another host, or on this one. */
const held = (host: string, pid: number) => `CUSTOM_BOSH_LOCK_${String(Date.now() - 1000).padStart(13, '0')}_${host}_${pid}_BEEF`;

/** This process's lock trait, once it was sent; the requests that add and remove it. */
function ownTrait(w: Wire) {
  let mine: string | undefined;
  const on = (method: 'PUT' | 'DELETE', status: number, fault: string) =>
    w.pool
      .intercept({
        method,
        path: (path: string) => {
          const trait = TRAIT.exec(path)?.[1];
          if (trait === undefined || trait.endsWith('_BEEF')) return false;
          mine ??= trait;
          return trait === mine;
        },
      })
      .reply(status, status >= 400 ? ironicError(fault) : '');
  return {
    add: (status = 204, fault = '') => on('PUT', status, fault),
    remove: (status = 204, fault = '') => on('DELETE', status, fault),
    /** The node as a GET reads it, with these traits and (when sent) this process's. */
    node: (traits: readonly string[], withMine: boolean) => () => ({ ...NODE_NOW, traits: withMine ? [...traits, mine] : traits }),
  };
}

/** set_vm_metadata finds the VM's node first (by its claim). */
function found(w: Wire): void {
  w.claimedBy(CID, NODE);
  w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, NODE_NOW);
}

const metadataWritten = (w: Wire) =>
  w.on(
    { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'replace', path: '/extra/bosh_vm', value: { ...RECORD, metadata: METADATA } }] },
    200,
    NODE_NOW,
  );

describe('the node lock', () => {
  it('gives way to an older holder, waits by reading until it is gone, then takes the lock', async () => {
    const w = await wire();
    found(w);
    const other = held('0BADCAFE', 1);
    const own = ownTrait(w);
    const read = (traits: readonly string[], withMine: boolean) => w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, own.node(traits, withMine));
    own.add();
    read([other], true);
    own.remove(); // an older one holds it: give way ...
    read([other], false); // ... look without adding, while it holds it
    read([], false); // free: stagger, so that waiters that saw it free at once do not collide
    read([], false);
    own.add();
    read([], true); // alone: ours
    metadataWritten(w);
    own.remove();

    await w.backend.setVmMetadata!(call('set_vm_metadata'), CID, METADATA);
    expect(w.sleeps).toHaveLength(3);
  });

  it('removes at once the lock of a process of this host that is gone', async () => {
    const w = await wire();
    found(w);
    const dead = held(thisHost(), 999_999_999);
    const own = ownTrait(w);
    own.add();
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, own.node([dead], true));
    w.on({ method: 'DELETE', path: `/v1/nodes/${NODE}/traits/${dead}` }, 204);
    metadataWritten(w);
    own.remove();

    await w.backend.setVmMetadata!(call('set_vm_metadata'), CID, METADATA);
    expect(w.logs.filter((l) => l.level === 'warn').map((l) => [l.msg, l.fields['lock']])).toEqual([
      ['removing the node lock of a CPI process that is gone', dead],
    ]);
    expect(w.sleeps).toEqual([]);
  });

  it('a node with no free trait slot: a clear error, and nothing changed', async () => {
    const w = await wire();
    found(w);
    const own = ownTrait(w);
    own.add(400, 'The node has the maximum of 50 traits');
    own.remove(404, 'no such trait');

    await expect(w.backend.setVmMetadata!(call('set_vm_metadata'), CID, METADATA)).rejects.toMatchObject({
      code: 'CPX_BACKEND_FAILURE',
      message:
        `Setting metadata of VM ${CID} on node ${NODE}: Ironic refused the lock trait on node ${NODE} (The node has the maximum of 50 traits); ` +
        'the CPI needs one free trait slot on a node it changes',
    });
  });

  it('a node Ironic is busy with is not patched: a retryable error, the lock released', async () => {
    const w = await wire();
    found(w);
    const own = ownTrait(w);
    own.add();
    w.on({ method: 'GET', path: `/v1/nodes/${NODE}` }, 200, () => ({
      ...own.node([], true)(),
      provision_state: 'deploying',
      target_provision_state: 'active',
    }));
    own.remove();

    await expect(w.backend.setVmMetadata!(call('set_vm_metadata'), CID, METADATA)).rejects.toMatchObject({
      code: 'CPX_BACKEND_FAILURE',
      okToRetry: true,
      message: `Setting metadata of VM ${CID} on node ${NODE}: node ${NODE} is busy ("deploying", target "active"); try again once it settles`,
    });
  });
});
