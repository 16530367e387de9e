import { describe, expect, it } from 'vitest';
import type { CreatedVm } from '@hybrid-cpi/core';
import { IronicHttpError } from '../../../src/ironic/errors.js';
import { IronicWaitError } from '../../../src/ironic/waiters.js';
import { deployRescheduled, failedDeploy } from '../../../src/node/reschedule.js';
import { requirementsOf } from '../../../src/selection/requirements.js';
import { NODE, backendContext, expectCall, expectLock, nodeFixture, serverAt, useIronicMock, type Harness } from '../ironic/helpers.js';

const make = useIronicMock();
const CID = '0b7a4c1e-1111-5111-8111-000000000002';
const failedWait = new IronicWaitError('failed', `Deploying VM ${CID} on node ${NODE}: node ${NODE} is "deploy failed": boom`, {
  state: 'deploy failed',
  lastError: 'boom',
  observed: ['deploying', 'deploy failed'],
});
const httpError = (method: string, path: string, status: number, faultstring: string) =>
  new IronicHttpError({ service: 'Ironic', doing: 'Deploying', status, method, path, faultstring, requestId: undefined });

describe("failedDeploy: which errors are the node's own", () => {
  it.each([
    ['a deploy Ironic ended in a failure state', failedWait, { step: 'deploying', last_error: 'boom' }],
    [
      'a deploy stuck in wait call-back',
      new IronicWaitError('stuck', 'x', { state: 'wait call-back', lastError: null, observed: ['deploying', 'wait call-back'] }),
      { step: 'wait call-back', last_error: 'no call-back from the deploy agent within deploy_callback_timeout_seconds (1800 s)' },
    ],
    [
      'a deploy Ironic refused with a server error (power or BMC validation)',
      httpError('PUT', `/v1/nodes/${NODE}/states/provision`, 500, 'Failed to validate deploy or power info for node x. Error: IPMI timeout'),
      { step: 'deploy request', last_error: 'Failed to validate deploy or power info for node x. Error: IPMI timeout' },
    ],
  ])('%s', (_name, error, expected) => {
    expect(failedDeploy(error, 1800)).toEqual(expected);
  });

  it.each([
    ['the time budget spent', new IronicWaitError('timeout', 'x', { state: 'deploying', lastError: null, observed: ['deploying'] })],
    ['the call aborted', new IronicWaitError('aborted', 'x', { state: 'deploying', lastError: null, observed: ['deploying'] })],
    ['Ironic overloaded (503, retried already)', httpError('PUT', `/v1/nodes/${NODE}/states/provision`, 503, 'busy')],
    ['a request the CPI got wrong', httpError('PATCH', `/v1/nodes/${NODE}`, 400, 'bad image_source')],
    ['anything else', new Error('ECONNREFUSED')],
  ])('not %s', (_name, error) => {
    expect(failedDeploy(error, 1800)).toBeUndefined();
  });
});

describe('deployRescheduled stops', () => {
  const request = { cid: CID, agentId: 'a-1', requirements: requirementsOf({ resource_class: 'bm.small' }), signal: new AbortController().signal };
  /** The first attempt: one candidate, claimed by instance_uuid; its deploy fails. */
  function firstAttempt(harness: Harness): void {
    serverAt(harness, '1.82');
    expectCall(harness.pool, {
      method: 'GET',
      path: '/v1/nodes',
      microversion: '1.61',
      query: {
        provision_state: 'available',
        associated: 'false',
        maintenance: 'false',
        resource_class: 'bm.small',
        fields:
          'uuid,name,provision_state,power_state,maintenance,fault,instance_uuid,resource_class,conductor_group,properties,traits,extra,retired,retired_reason',
        limit: '1000',
      },
    }).reply(200, { nodes: [{ ...nodeFixture(), retired: false, retired_reason: null }], next: null });
    expectCall(harness.pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [{ op: 'add', path: '/instance_uuid', value: CID }] }).reply(
      200,
      nodeFixture({ instance_uuid: CID }),
    );
  }
  const failing = async (): Promise<{ vm: CreatedVm; node: never }> => {
    throw failedWait;
  };

  it('when the node cannot be rolled back: no other node can be claimed under the same CID', async () => {
    const harness = make({ retry: { attempts: 1 } });
    firstAttempt(harness);
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(500, { error_message: '{"faultstring": "database is locked"}' });
    const error = await deployRescheduled(backendContext(harness.client), request, failing).then(
      () => new Error('it succeeded'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toBe(
      `Creating VM ${CID} for agent a-1: the deploy failed on the only node tried, and rolling back node ${NODE} failed (Getting node ${NODE}: Ironic ` +
        `answered 500: database is locked.; a retry of this create_vm releases it): ${NODE}: deploying: boom`,
    );
  });

  it('when the time budget (deploy_timeout_seconds, from the first claim) is spent', async () => {
    const harness = make();
    firstAttempt(harness);
    const failed = nodeFixture({ provision_state: 'deploy failed', target_provision_state: 'active', instance_uuid: CID, last_error: 'boom' });
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, failed);
    // The record carries the time of the failure: matched by its shape.
    const recorded = (body: string) => {
      const [op] = JSON.parse(body) as { path: string; value: { count: number; recent: { step: string; last_error: string; vm: string }[] } }[];
      return op?.path === '/extra/bosh_failures' && op.value.count === 1 && op.value.recent[0]?.last_error === 'boom' && op.value.recent[0].vm === CID;
    };
    harness.pool.intercept({ method: 'PATCH', path: `/v1/nodes/${NODE}`, body: recorded }).reply(200, failed);
    // The release decides under the node's lock: nothing to wipe, so no write before the undeploy.
    expectLock(harness, failed).unlock();
    expectCall(harness.pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'deleted' } }).reply(202, '');
    expectCall(harness.pool, { method: 'GET', path: `/v1/nodes/${NODE}` }).reply(200, nodeFixture({ extra: { bosh_failures: { count: 1, recent: [] } } }));
    const error = await deployRescheduled(backendContext(harness.client, { deploy_timeout_seconds: 0.001 }), request, failing).then(
      () => new Error('it succeeded'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(
      /the deploy failed on the only node tried, and deploy_timeout_seconds \(0\.001 s\) is spent: node-1 \(.*\): deploying: boom$/,
    );
  });
});
