// The test harness's fault-injecting proxy (test/support/fault-proxy.ts), against a small stand-in
// for Ironic's node API.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLockedFault, parseFaultstring } from '../../packages/backend-ironic/src/ironic/errors.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

const NODE = '6f4a1a8e-2d1c-4c55-9d0b-8f0e6c1d2a11';
let upstream: http.Server;
let url: string;
let state = 'available';
const seenHeaders: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seenHeaders.push(req.headers);
      if (req.method === 'PUT' && req.url === `/v1/nodes/${NODE}/states/provision`) {
        const { target } = JSON.parse(Buffer.concat(chunks).toString()) as { target: string };
        state = target === 'active' ? 'active' : 'available';
        res.writeHead(202).end();
        return;
      }
      const body = JSON.stringify({ uuid: NODE, provision_state: state, last_error: null, path: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'x-openstack-ironic-api-maximum-version': '1.82' }).end(body);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
});
afterAll(() => upstream.close());

async function withProxy(seed: number, body: (proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await startFaultProxy(url, { seed });
  try {
    await body(proxy);
  } finally {
    await proxy.stop();
  }
}

const get = (proxy: FaultProxy, path: string, headers: Record<string, string> = {}) => fetch(`${proxy.url}${path}`, { headers });

describe('the fault proxy', () => {
  it("forwards requests with their headers and body, answers with the upstream's, and records them", async () => {
    await withProxy(1, async (proxy) => {
      const answer = await get(proxy, `/v1/nodes/${NODE}?fields=uuid`, { 'x-openstack-request-id': 'req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-openstack-ironic-api-maximum-version')).toBe('1.82');
      expect(await answer.json()).toMatchObject({ uuid: NODE, path: `/v1/nodes/${NODE}?fields=uuid` });
      expect(seenHeaders.at(-1)?.['x-openstack-request-id']).toBe('req-6b8f2a3e-1d4c-4e1b-9c9f-0d5b8a7e6f10');
      expect(proxy.requests).toEqual([{ method: 'GET', path: `/v1/nodes/${NODE}?fields=uuid`, node: NODE, body: undefined, fault: undefined, status: 200 }]);
    });
  });

  it('injects a seeded share of faults: the same seed, the same requests hit', async () => {
    const pattern = async (seed: number) => {
      let hits = '';
      await withProxy(seed, async (proxy) => {
        proxy.add({ method: 'GET', path: '/v1/nodes', share: 0.3, fault: { kind: 'status', status: 503 } });
        for (let i = 0; i < 100; i++) hits += (await get(proxy, '/v1/nodes')).status === 503 ? 'x' : '.';
        expect(proxy.injected()).toEqual({ status: hits.split('x').length - 1 });
      });
      return hits;
    };
    const first = await pattern(7);
    expect(await pattern(7)).toBe(first);
    expect(await pattern(8)).not.toBe(first);
    const share = first.split('x').length - 1;
    expect(share).toBeGreaterThan(15);
    expect(share).toBeLessThan(45);
  });

  it('matches by method, path and node, up to a count; a removed rule stops', async () => {
    await withProxy(1, async (proxy) => {
      const remove = proxy.add({ method: 'PATCH', node: NODE, count: 2, fault: { kind: 'locked' } });
      const patch = () => fetch(`${proxy.url}/v1/nodes/${NODE}`, { method: 'PATCH', body: '[]' });
      const locked = await patch();
      expect(locked.status).toBe(409);
      // Ironic's own body: a JSON document inside a JSON string, which the CPI's client reads as a lock.
      const text = await locked.text();
      expect(JSON.parse(JSON.parse(text).error_message)).toMatchObject({ faultcode: 'Client', debuginfo: null });
      expect(isLockedFault(parseFaultstring(text))).toBe(true);
      expect((await get(proxy, `/v1/nodes/${NODE}`)).status).toBe(200);
      expect((await fetch(`${proxy.url}/v1/nodes/other`, { method: 'PATCH', body: '[]' })).status).toBe(200);
      expect((await patch()).status).toBe(409);
      expect((await patch()).status).toBe(200);
      proxy.add({ path: /^\/v1\/ports/, fault: { kind: 'status', status: 500 } });
      expect((await get(proxy, '/v1/ports?address=x')).status).toBe(500);
      // A rule added first fires before the others.
      proxy.add({ path: /^\/v1\/ports/, count: 1, fault: { kind: 'status', status: 503 } }, { first: true });
      expect((await get(proxy, '/v1/ports?address=x')).status).toBe(503);
      expect((await get(proxy, '/v1/ports?address=x')).status).toBe(500);
      remove();
      expect(proxy.injected()).toEqual({ locked: 2, status: 3 });
    });
  });

  it('resets connections and slows answers', async () => {
    await withProxy(1, async (proxy) => {
      proxy.add({ path: '/v1/reset', fault: { kind: 'reset' } });
      proxy.add({ path: `/v1/nodes/${NODE}/states`, fault: { kind: 'reset', after: true } });
      proxy.add({ path: '/v1/slow', fault: { kind: 'delay', ms: 300 } });
      await expect(get(proxy, '/v1/reset')).rejects.toThrow();
      const before = seenHeaders.length;
      await expect(fetch(`${proxy.url}/v1/nodes/${NODE}/states/provision`, { method: 'PUT', body: '{"target":"active"}' })).rejects.toThrow();
      // Ironic got it and acted; only the answer was lost.
      expect([seenHeaders.length - before, state]).toEqual([1, 'active']);
      state = 'available';
      const started = performance.now();
      expect((await get(proxy, '/v1/slow')).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(proxy.requests.map((r) => [r.path, r.fault, r.status])).toEqual([
        ['/v1/reset', 'reset', undefined],
        [`/v1/nodes/${NODE}/states/provision`, 'reset after', undefined],
        ['/v1/slow', 'delay', 200],
      ]);
    });
  });

  it('a failing deploy: the node reads deploy failed once really active, until it is torn down', async () => {
    await withProxy(1, async (proxy) => {
      const scenario = proxy.failDeploys({ node: NODE, lastError: 'disk gone' });
      const read = async () => (await (await get(proxy, `/v1/nodes/${NODE}`)).json()) as { provision_state: string; last_error: string | null };
      const provision = (target: string) => fetch(`${proxy.url}/v1/nodes/${NODE}/states/provision`, { method: 'PUT', body: JSON.stringify({ target }) });
      expect(await read()).toMatchObject({ provision_state: 'available', last_error: null });
      await provision('active');
      expect(await read()).toMatchObject({ provision_state: 'deploy failed', last_error: 'disk gone' });
      await provision('deleted');
      expect(await read()).toMatchObject({ provision_state: 'available', last_error: null });
      expect(scenario.failed).toEqual([NODE]);
      scenario.stop();
      await provision('active');
      expect(await read()).toMatchObject({ provision_state: 'active' });
      expect(proxy.injected()).toEqual({ 'deploy failed': 1 });
    });
  });
});
