import { describe, expect, it } from 'vitest';
import { isCpiError } from '@hybrid-cpi/core';
import { IronicClient, relativeNext } from '../../../src/ironic/client.js';
import { isLocked, isIronicHttpError } from '../../../src/ironic/errors.js';
import { NODE, ORIGIN, captureLogger, expectCall, ironicError, useIronicMock } from './helpers.js';

const make = useIronicMock();
const LOCKED = ironicError(`Node ${NODE} is locked by host ironic-lab, please retry after the current operation is completed.`);

/** Jitter values the client draws, in order. */
function randoms(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('IronicClient requests', () => {
  it('send the microversion header, Accept and a JSON body, and parse the JSON answer', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'POST', path: '/v1/things', body: { a: 1, b: [true] } }).reply(201, { uuid: 'x' });
    const answer = await client.request('POST', '/v1/things', { body: { a: 1, b: [true] } });
    expect(answer).toEqual({ status: 201, body: { uuid: 'x' }, requestId: undefined });
  });

  it('send a per-call microversion instead of the default', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x', microversion: '1.73' }).reply(200, {});
    await client.request('GET', '/v1/x', { microversion: '1.73' });
    expect(client.at('1.73')).toBe('1.73');
    expect(client.at('1.46')).toBe('1.52');
  });

  it('use a configured default microversion, and refuse one older than 1.52', () => {
    const { client } = make({ microversion: '1.60' });
    expect(client.microversion).toBe('1.60');
    expect(() => make({ microversion: '1.51' })).toThrowError(/microversion 1.51 is older than the minimum 1.52/);
  });

  it('encode the query and join it to a path prefix of the URL', async () => {
    const { pool, client } = make({ url: `${ORIGIN}/baremetal/` });
    expectCall(pool, { method: 'GET', path: '/baremetal/v1/nodes', query: { fields: 'uuid,name', associated: 'false', limit: '5' } }).reply(200, {});
    await client.request('GET', '/v1/nodes', { query: { fields: ['uuid', 'name'], associated: false, limit: 5, maintenance: undefined } });
  });

  it('return undefined for an empty body (202, 204)', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'DELETE', path: '/v1/x' }).reply(204, '');
    expect((await client.request('DELETE', '/v1/x')).body).toBeUndefined();
  });

  it('refuse a 2xx body that is not JSON, naming the server that sent it rather than quoting it', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, '<!DOCTYPE html><html><title>Welcome to nginx!</title></html>');
    expectCall(pool, { method: 'GET', path: '/v1/y' }).reply(200, 'OK');
    const html = await client.request('GET', '/v1/x', { doing: 'Getting x' }).catch((e: unknown) => e);
    expect((html as Error).message).toBe(`Getting x: ${ORIGIN} answered 200 with an HTML page; is this the Ironic API endpoint?`);
    expect(html).toMatchObject({ status: 200, foreign: 'an HTML page', faultstring: undefined });
    await expect(client.request('GET', '/v1/y', { doing: 'Getting y' })).rejects.toThrowError(
      `Getting y: ${ORIGIN} answered 200 with a body that is not JSON; is this the Ironic API endpoint?`,
    );
  });

  it('name a server that answers an error with an HTML page or a JSON of its own, never pasting it', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/nodes' }).reply(404, '<html><body><h1>404 Not Found</h1><hr><center>nginx</center></body></html>');
    expectCall(pool, { method: 'GET', path: '/v1/ports' }).reply(404, { detail: 'Not Found' });
    const html = await client.request('GET', '/v1/nodes', { doing: 'Listing nodes' }).catch((e: unknown) => e);
    expect((html as Error).message).toBe(`Listing nodes: ${ORIGIN} answered 404 with an HTML page; is this the Ironic API endpoint?`);
    expect(html).toMatchObject({ status: 404, foreign: 'an HTML page', faultstring: undefined });
    await expect(client.request('GET', '/v1/ports', { doing: 'Listing ports' })).rejects.toThrowError(
      `Listing ports: ${ORIGIN} answered 404 with a JSON document that is not an OpenStack API answer; is this the Ironic API endpoint?`,
    );
  });

  it('throw IronicHttpError for a non-2xx answer, naming what was being done', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/nodes/n' }).reply(404, ironicError('Node n could not be found.'), {
      headers: { 'openstack-request-id': 'req-404' },
    });
    const error = await client.request('GET', '/v1/nodes/n', { doing: 'Getting node n' }).catch((e: unknown) => e);
    expect(isIronicHttpError(error)).toBe(true);
    expect(isCpiError(error)).toBe(true);
    expect(error).toMatchObject({
      status: 404,
      method: 'GET',
      path: '/v1/nodes/n',
      faultstring: 'Node n could not be found.',
      requestId: 'req-404',
      code: 'CPX_BACKEND_FAILURE',
    });
    expect((error as Error).message).toBe('Getting node n: Ironic answered 404: Node n could not be found. (request req-404)');
  });

  it('say "METHOD path" when the caller gave no description', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(500, ironicError('boom', 'Server'));
    await expect(client.request('GET', '/v1/x')).rejects.toThrowError('GET /v1/x: Ironic answered 500: boom.');
  });

  it('need a URL unless Keystone can name one', () => {
    expect(() => new IronicClient({ auth: { type: 'noauth' }, logger: undefined as never, dispatcher: undefined as never })).toThrowError(
      /ironic.url is required with auth type noauth/,
    );
  });
});

describe('IronicClient retries', () => {
  it('repeat a 503 with growing, jittered delays, then succeed', async () => {
    const { pool, client, sleeps } = make({ retry: { attempts: 4, baseMs: 100, maxMs: 1000 }, random: randoms(0, 0.999, 0.5) });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, ironicError('No conductor service available', 'Server')).times(3);
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, { ok: true });
    expect((await client.request('GET', '/v1/x')).body).toEqual({ ok: true });
    // Ceilings 100, 200, 400: each delay lies in [ceiling/2, ceiling].
    expect(sleeps).toEqual([50, 200, 300]);
  });

  it('keep every delay within [ceiling/2, ceiling] and under the cap, whatever the jitter', async () => {
    for (const r of [0, 0.25, 0.75, 0.999999]) {
      const { pool, client, sleeps } = make({ retry: { attempts: 6, baseMs: 100, maxMs: 500 }, random: () => r });
      expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, '').times(5);
      expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {});
      await client.request('GET', '/v1/x');
      const ceilings = [100, 200, 400, 500, 500];
      expect(sleeps).toHaveLength(5);
      sleeps.forEach((ms, i) => {
        expect(ms).toBeGreaterThanOrEqual(ceilings[i]! / 2);
        expect(ms).toBeLessThanOrEqual(ceilings[i]!);
      });
      expect(sleeps[2]!).toBeGreaterThan(sleeps[0]!);
    }
  });

  it('honour Retry-After on a 503, capped by maxMs', async () => {
    const { pool, client, sleeps } = make({ retry: { attempts: 3, baseMs: 100, maxMs: 5000 } });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, '', { headers: { 'retry-after': '2' } });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, '', { headers: { 'retry-after': '60' } });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {});
    await client.request('GET', '/v1/x');
    expect(sleeps).toEqual([2000, 5000]);
  });

  it('give up after the last attempt with the last answer', async () => {
    const { pool, client, sleeps } = make({ retry: { attempts: 3, baseMs: 10, maxMs: 100 } });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, ironicError('No free conductor workers available', 'Server')).times(3);
    await expect(client.request('GET', '/v1/x', { doing: 'Getting x' })).rejects.toThrowError(
      'Getting x: Ironic answered 503: No free conductor workers available.',
    );
    expect(sleeps).toHaveLength(2);
  });

  it("wait out 503 back-pressure past the attempts while the call's budget lasts, with jitter and a progress line", async () => {
    let now = 0;
    const { pool, client, sleeps, logs } = make({
      retry: { attempts: 3, baseMs: 1000, maxMs: 8000 },
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      random: randoms(0, 0.999, 0.5),
    });
    const busy = ironicError(
      'Unable to complete the requested action because the maximum number of concurrent provisioning actions has been reached.',
      'Server',
    );
    const view = client.forCall({ logger: captureLogger(logs), until: 60_000 });
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'active' } })
      .reply(503, busy)
      .times(10);
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: { target: 'active' } }).reply(202, '');
    await view.request('PUT', `/v1/nodes/${NODE}/states/provision`, { body: { target: 'active' } });
    expect(sleeps).toHaveLength(10);
    expect(sleeps.every((ms) => ms <= 8000)).toBe(true);
    expect(logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(
      Array(8).fill('Ironic is busy (503): waiting to repeat the request within the time budget of the call'),
    );
  });

  it("end the wait on 503 at the budget (the sooner of the call's and the request's) with the last answer", async () => {
    let now = 0;
    const { pool, client, sleeps } = make({
      retry: { attempts: 2, baseMs: 1000, maxMs: 8000 },
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, ironicError('No free conductor workers available', 'Server')).persist();
    const view = client.forCall({ logger: captureLogger(), until: 60_000 });
    await expect(view.request('GET', '/v1/x', { until: 10_000 })).rejects.toThrowError('GET /v1/x: Ironic answered 503: No free conductor workers available.');
    expect(now).toBe(10_000);
    expect(sleeps.at(-1)).toBeLessThan(8000);
  });

  it('repeat a 409 "is locked" of any method, the same body each time', async () => {
    const { pool, client, sleeps } = make({ retry: { attempts: 5, baseMs: 100, maxMs: 1000 } });
    const ops = [{ op: 'add', path: '/extra/a', value: 1 }];
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops })
      .reply(409, LOCKED)
      .times(2);
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).reply(200, { uuid: NODE });
    await client.request('PATCH', `/v1/nodes/${NODE}`, { body: ops });
    expect(sleeps).toEqual([75, 150]);
  });

  it('repeat a PATCH Ironic refused while a state transition was in progress', async () => {
    const { pool, client, sleeps } = make({ retry: { attempts: 5, baseMs: 100, maxMs: 1000 } });
    const ops = [{ op: 'add', path: '/extra/a', value: 1 }];
    const inTransition = ironicError(`Node ${NODE} can not be updated while a state transition is in progress.`);
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).reply(409, inTransition);
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: ops }).reply(200, { uuid: NODE });
    await client.request('PATCH', `/v1/nodes/${NODE}`, { body: ops });
    expect(sleeps).toEqual([75]);
  });

  it('report a node that stays locked after the last attempt', async () => {
    const { pool, client } = make({ retry: { attempts: 2, baseMs: 10, maxMs: 10 } });
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/power`, body: { target: 'power off' } })
      .reply(409, LOCKED)
      .times(2);
    const error = await client.request('PUT', `/v1/nodes/${NODE}/states/power`, { body: { target: 'power off' } }).catch((e: unknown) => e);
    expect(isLocked(error)).toBe(true);
  });

  it('never repeat a 409 of a claim, locked or not', async () => {
    const { pool, client, sleeps } = make();
    expectCall(pool, { method: 'PATCH', path: `/v1/nodes/${NODE}`, body: [] }).reply(409, LOCKED);
    const error = await client.request('PATCH', `/v1/nodes/${NODE}`, { body: [], claim: true }).catch((e: unknown) => e);
    expect(isLocked(error)).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it('never repeat a 409 that is not a lock', async () => {
    const { pool, client, sleeps } = make();
    expectCall(pool, { method: 'POST', path: '/v1/nodes', body: { name: 'n' } }).reply(409, ironicError('A node with name n already exists.'));
    await expect(client.request('POST', '/v1/nodes', { body: { name: 'n' } })).rejects.toThrowError(/409: A node with name n already exists/);
    expect(sleeps).toEqual([]);
  });

  it('repeat any method when the connection was refused (nothing was sent)', async () => {
    const { pool, client, sleeps } = make();
    expectCall(pool, { method: 'POST', path: '/v1/nodes', body: { driver: 'fake-hardware' } }).replyWithError(
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6385'), { code: 'ECONNREFUSED' }),
    );
    expectCall(pool, { method: 'POST', path: '/v1/nodes', body: { driver: 'fake-hardware' } }).reply(201, { uuid: NODE });
    expect((await client.request('POST', '/v1/nodes', { body: { driver: 'fake-hardware' } })).status).toBe(201);
    expect(sleeps).toHaveLength(1);
  });

  it('repeat an idempotent request when the connection broke mid-way', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x' }).replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    expectCall(pool, { method: 'PUT', path: '/v1/y' }).replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {});
    expectCall(pool, { method: 'PUT', path: '/v1/y' }).reply(204, '');
    await client.request('GET', '/v1/x');
    await client.request('PUT', '/v1/y', { idempotent: true });
  });

  it('never repeat a POST whose connection broke after it may have been sent', async () => {
    const { pool, client, sleeps } = make();
    expectCall(pool, { method: 'POST', path: '/v1/allocations', body: {} }).replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const error = await client.request('POST', '/v1/allocations', { body: {}, doing: 'Allocating a node' }).catch((e: unknown) => e);
    expect(isCpiError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Allocating a node: cannot reach Ironic at ${ORIGIN} after 1 attempt: read ECONNRESET; not repeated, as the server may have acted on it`,
    );
    expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    expect(sleeps).toEqual([]);
  });

  it('give up on a refused connection after the last attempt', async () => {
    const { pool, client, sleeps } = make({ retry: { attempts: 3, baseMs: 1, maxMs: 1 } });
    expectCall(pool, { method: 'GET', path: '/v1/x' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
      .times(3);
    await expect(client.request('GET', '/v1/x', { doing: 'Getting x' })).rejects.toThrowError(
      `Getting x: cannot reach Ironic at ${ORIGIN} after 3 attempts: connect ECONNREFUSED`,
    );
    expect(sleeps).toHaveLength(2);
  });

  it('do not repeat an error it does not know', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x' }).replyWithError(new Error('certificate has expired'));
    await expect(client.request('GET', '/v1/x')).rejects.toThrowError(/cannot reach Ironic .* after 1 attempt: certificate has expired$/);
  });

  it('stop waiting between attempts when the signal aborts', async () => {
    const controller = new AbortController();
    const { pool, client } = make({
      sleep: async (_ms, signal) => {
        controller.abort(new Error('deadline'));
        signal?.throwIfAborted();
      },
    });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(503, '');
    await expect(client.request('GET', '/v1/x', { signal: controller.signal })).rejects.toThrowError('deadline');
  });
});

describe('IronicClient logging', () => {
  it('logs method, path, status, ms and the request id of every request, under either header name', async () => {
    const { pool, client, logs } = make();
    expectCall(pool, { method: 'GET', path: '/v1/a' }).reply(200, {}, { headers: { 'openstack-request-id': 'req-a' } });
    expectCall(pool, { method: 'GET', path: '/v1/b' }).reply(404, ironicError('nope'), { headers: { 'x-openstack-request-id': 'req-b' } });
    await client.request('GET', '/v1/a');
    await client.request('GET', '/v1/b').catch(() => undefined);
    const requests = logs.filter((l) => l.msg === 'ironic request');
    expect(requests.map((l) => l.level)).toEqual(['debug', 'debug']);
    expect(requests[0]!.fields).toMatchObject({ method: 'GET', path: '/v1/a', status: 200, requestId: 'req-a', attempt: 1 });
    expect(requests[1]!.fields).toMatchObject({ method: 'GET', path: '/v1/b', status: 404, requestId: 'req-b' });
    expect(typeof requests[0]!.fields['ms']).toBe('number');
  });

  it('logs each attempt and each back-off', async () => {
    const { pool, client, logs } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(409, LOCKED, { headers: { 'openstack-request-id': 'req-1' } });
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {}, { headers: { 'openstack-request-id': 'req-2' } });
    await client.request('GET', '/v1/x');
    expect(logs.map((l) => [l.msg, l.fields['requestId'] ?? l.fields['reason']])).toEqual([
      ['ironic request', 'req-1'],
      ['ironic request will be repeated', 'locked'],
      ['ironic request', 'req-2'],
    ]);
  });

  it('never logs bodies or credentials', async () => {
    const { pool, client, logs } = make({ auth: { type: 'http_basic', username: 'admin', password: 's3cr3t-pw' } });
    const secretBody = { target: 'active', configdrive: 'H4sIAAAAsecret-config-drive' };
    expectCall(pool, { method: 'PUT', path: `/v1/nodes/${NODE}/states/provision`, body: secretBody }).reply(202, '');
    expectCall(pool, { method: 'POST', path: '/v1/nodes', body: { driver_info: { ipmi_password: 'bmc-secret' } } }).reply(201, {
      driver_info: { ipmi_password: 'bmc-secret' },
    });
    await client.request('PUT', `/v1/nodes/${NODE}/states/provision`, { body: secretBody });
    await client.request('POST', '/v1/nodes', { body: { driver_info: { ipmi_password: 'bmc-secret' } } });
    const text = JSON.stringify(logs);
    for (const secret of ['s3cr3t-pw', 'YWRtaW46czNjcjN0LXB3', 'Basic', 'secret-config-drive', 'bmc-secret', 'authorization']) {
      expect(text).not.toContain(secret);
    }
    expect(logs).toHaveLength(2);
  });
});

describe('IronicClient pagination', () => {
  it('follows next across three pages, keeping the configured host and prefix', async () => {
    const { pool, client } = make({ url: `${ORIGIN}/baremetal` });
    expectCall(pool, { method: 'GET', path: '/baremetal/v1/nodes', query: { limit: '2', fields: 'uuid' } }).reply(200, {
      nodes: [{ uuid: 'a' }, { uuid: 'b' }],
      next: 'http://10.9.9.9:6385/baremetal/v1/nodes?limit=2&fields=uuid&marker=b',
    });
    // A server that does not know its public prefix: only the path from /v1/ on is used.
    expectCall(pool, { method: 'GET', path: '/baremetal/v1/nodes', query: { limit: '2', fields: 'uuid', marker: 'b' } }).reply(200, {
      nodes: [{ uuid: 'c' }, { uuid: 'd' }],
      next: 'https://elsewhere.example/v1/nodes?limit=2&fields=uuid&marker=d',
    });
    expectCall(pool, { method: 'GET', path: '/baremetal/v1/nodes', query: { limit: '2', fields: 'uuid', marker: 'd' } }).reply(200, {
      nodes: [{ uuid: 'e' }],
      next: null,
    });
    const pages: unknown[][] = [];
    for await (const page of client.pages('/v1/nodes', 'nodes', { query: { limit: 2, fields: ['uuid'] } })) pages.push(page);
    expect(pages).toEqual([[{ uuid: 'a' }, { uuid: 'b' }], [{ uuid: 'c' }, { uuid: 'd' }], [{ uuid: 'e' }]]);
  });

  it('stops fetching when the consumer stops', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/ports' }).reply(200, { ports: [{ uuid: 'a' }], next: `${ORIGIN}/v1/ports?marker=a` });
    for await (const page of client.pages('/v1/ports', 'ports')) {
      expect(page).toEqual([{ uuid: 'a' }]);
      break;
    }
  });

  it('refuses a page without the list', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/ports' }).reply(200, { things: [] });
    const iterator = client.pages('/v1/ports', 'ports', { doing: 'Finding ports' });
    await expect(iterator.next()).rejects.toThrowError('Finding ports: Ironic answered without a "ports" list');
  });

  it('turns next into a path from /v1/ on', () => {
    expect(relativeNext('http://h:1/v1/nodes?marker=x')).toBe('/v1/nodes?marker=x');
    expect(relativeNext('http://h/prefix/v1/ports?a=1&b=2')).toBe('/v1/ports?a=1&b=2');
    expect(relativeNext('/other?x=1')).toBe('/other?x=1');
  });
});

describe('IronicClient per call, and the server version', () => {
  const requestIdOf = (headers: unknown) => new Headers(headers as Record<string, string>).get('x-openstack-request-id');

  it("a call's view sends its global request id and logs to its logger; the client itself sends none", async () => {
    const { pool, client, logs } = make();
    const seen: (string | null)[] = [];
    pool
      .intercept({ method: 'GET', path: '/v1/x' })
      .reply((request) => {
        seen.push(requestIdOf(request.headers));
        return { statusCode: 200, data: {} };
      })
      .times(2);
    const callLogs: { msg: string | undefined; fields: Record<string, unknown> }[] = [];
    const callLogger = { ...captureLoggerLike(callLogs), child: () => captureLoggerLike(callLogs) };
    await client.forCall({ globalRequestId: 'req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10', logger: callLogger }).request('GET', '/v1/x');
    await client.request('GET', '/v1/x');
    expect(seen).toEqual(['req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10', null]);
    expect(callLogs.map((l) => l.msg)).toEqual(['ironic request']);
    expect(logs.map((l) => l.msg)).toEqual(['ironic request']);
  });

  it('learns the newest microversion from any versioned answer, shared with its views, so no GET / is needed', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/v1/x' }).reply(200, {}, { headers: { 'x-openstack-ironic-api-maximum-version': '1.109' } });
    await client.forCall({ globalRequestId: 'req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10', logger: captureLoggerLike([]) }).request('GET', '/v1/x');
    expect(await client.maximum()).toBe('1.109');
    expect(await client.supports('1.109')).toBe(true);
    expect(await client.supports('1.110')).toBe(false);
  });

  it('reads it from GET / once when no answer told it yet, saying what it was for', async () => {
    const { pool, client } = make();
    expectCall(pool, { method: 'GET', path: '/' }).reply(200, { default_version: { min_version: '1.1', version: '1.60' } });
    expect(await client.supports('1.61', { doing: 'Listing the Ironic nodes' })).toBe(false);
    expect(await client.maximum()).toBe('1.60');
    const { pool: down, client: other } = make({ retry: { attempts: 1 } });
    down.intercept({ method: 'GET', path: '/' }).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await expect(other.maximum({ doing: 'Listing the Ironic nodes' })).rejects.toThrowError(/^Listing the Ironic nodes: cannot reach Ironic/);
  });
});

function captureLoggerLike(entries: { msg: string | undefined; fields: Record<string, unknown> }[]) {
  const at = (first: Record<string, unknown> | string, msg?: string) =>
    entries.push(typeof first === 'string' ? { msg: first, fields: {} } : { msg, fields: first });
  const logger = { trace: at, debug: at, info: at, warn: at, error: at, isLevelEnabled: () => true, child: () => logger };
  return logger;
}
