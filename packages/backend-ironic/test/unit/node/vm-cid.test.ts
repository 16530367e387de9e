import { describe, expect, it } from 'vitest';
import { parseDiskCid } from '../../../src/disks/records.js';
import { parseVmCid, vmCidFor, vmCidOnNode } from '../../../src/node/vm-cid.js';

const NODE = '6f1e2d3c-0000-4000-8000-00000000000a';

describe('vmCidFor', () => {
  it("is a stable version-5 UUID of the agent id, the node's instance_uuid", () => {
    const cid = vmCidFor('agent-1');
    expect(cid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(vmCidFor('agent-1')).toBe(cid);
    expect(vmCidFor('agent-2')).not.toBe(cid);
    expect(parseVmCid(cid)).toEqual({ node: undefined });
    expect(parseVmCid('vm-123')).toBeUndefined();
  });
});

describe('vmCidOnNode', () => {
  it('names the node of the disks, stable per agent, and is no disk CID', () => {
    const cid = vmCidOnNode(NODE, 'agent-1');
    expect(cid).toBe(`${NODE}.${vmCidFor('agent-1')}`);
    expect(vmCidOnNode(NODE, 'agent-2')).not.toBe(cid);
    expect(parseVmCid(cid)).toEqual({ node: NODE });
    expect(parseVmCid(cid.toUpperCase())).toEqual({ node: NODE });
    expect(parseDiskCid(cid)).toBeUndefined();
    expect(parseVmCid(`${NODE}.abcdef012345`)).toBeUndefined();
    expect(parseVmCid(`${NODE}.${NODE}.${NODE}`)).toBeUndefined();
  });
});
