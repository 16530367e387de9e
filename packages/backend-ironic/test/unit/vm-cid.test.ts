import { describe, expect, it } from 'vitest';
import { isVmCid, vmCidFor } from '../../src/vm-cid.js';

describe('vmCidFor', () => {
  it('is a stable version-5 UUID of the agent id', () => {
    const cid = vmCidFor('agent-1');
    expect(cid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(vmCidFor('agent-1')).toBe(cid);
    expect(vmCidFor('agent-2')).not.toBe(cid);
    expect(isVmCid(cid)).toBe(true);
    expect(isVmCid('vm-123')).toBe(false);
  });
});
