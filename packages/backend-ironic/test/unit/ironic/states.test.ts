import { describe, expect, it } from 'vitest';
import * as ironic from '../../../src/ironic/index.js';
import { EXPECTED_STATES, FAILURE_STATES, PROVISION_STATES, STABLE_STATES, isFailureState } from '../../../src/ironic/states.js';

describe('state tables', () => {
  it('know the failure states, and any future "* failed"', () => {
    for (const state of [
      'deploy failed',
      'clean failed',
      'inspect failed',
      'error',
      'adopt failed',
      'rescue failed',
      'unrescue failed',
      'service failed',
      'someday failed',
    ]) {
      expect(isFailureState(state)).toBe(true);
    }
    for (const state of ['active', 'available', 'deploying', 'clean wait', 'enroll', null, undefined]) expect(isFailureState(state)).toBe(false);
  });

  it('keep every listed state known, and the stable and failure sets apart except error', () => {
    for (const state of [...STABLE_STATES, ...FAILURE_STATES]) expect(PROVISION_STATES).toContain(state);
    expect([...STABLE_STATES].filter((s) => FAILURE_STATES.has(s))).toEqual(['error']);
  });

  it('map each verb to the stable state it ends in', () => {
    expect(EXPECTED_STATES).toEqual({
      active: 'active',
      deploy: 'active',
      rebuild: 'active',
      deleted: 'available',
      undeploy: 'available',
      manage: 'manageable',
      provide: 'available',
      clean: 'manageable',
    });
    for (const state of Object.values(EXPECTED_STATES)) expect(STABLE_STATES.has(state)).toBe(true);
  });
});

describe('the ironic barrel', () => {
  it('exports the client, the resource functions, the waiters and the tables', () => {
    for (const name of [
      'IronicClient',
      'connectIronic',
      'makeDispatcher',
      'readCloud',
      'discoverVersions',
      'requireVersion',
      'getNode',
      'listNodes',
      'createNode',
      'deleteNode',
      'patchNode',
      'setProvisionState',
      'setPowerState',
      'setMaintenance',
      'unsetMaintenance',
      'setTraits',
      'validateNode',
      'listPorts',
      'createPort',
      'deletePort',
      'createAllocation',
      'getAllocation',
      'deleteAllocation',
      'listAllocations',
      'waitForProvisionState',
      'waitForAllocation',
      'waitForUnlocked',
      'IronicHttpError',
      'IronicWaitError',
      'isNotFound',
      'isConflict',
      'isLocked',
      'isAssociated',
    ]) {
      expect(typeof (ironic as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(ironic.microversions.DEPLOY_VERB).toBe('1.73');
    expect(typeof ironic.patch.add).toBe('function');
    expect(ironic.FAILURE_STATES.has('deploy failed')).toBe(true);
  });
});
