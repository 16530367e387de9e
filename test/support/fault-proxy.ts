// A fault-injecting HTTP proxy for the tests: it stands between the CPI and a real Ironic on
// 127.0.0.1 and a random port, forwards every request, and by rules answers some of them with a
// fault instead (Ironic's 503, its 409 NodeLocked, a reset connection, a slow answer) or edits
// Ironic's answer. Rules match by method, path and node, and fire on a seeded share of the
// matching requests and/or a number of times, so a run with the same seed and the same requests
// injects the same faults (a reset after forwarding: Ironic acted, the answer is lost). `failDeploys` is the scenario of a server whose deploy fails.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Answers with this status and body (JSON), instead of forwarding. */
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Answers 409 NodeLocked with Ironic's body (a JSON document inside a JSON string) for the request's node. */
  | { readonly kind: 'locked' }
  /**
   * Destroys the connection without an answer (the client sees a reset socket): before forwarding,
   * or, `after`, once Ironic has acted on the request, so only its answer is lost.
   */
  | { readonly kind: 'reset'; readonly after?: boolean }
  /** Forwards after `ms`. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Forwards, then answers with `edit` of Ironic's JSON answer (same status and headers). */
  | { readonly kind: 'rewrite'; readonly edit: (body: any, request: SeenRequest) => unknown };

export interface FaultRule {
  readonly method?: string;
  /** A string: the path (without its query) starts with it; a RegExp: tested on path and query. */
  readonly path?: string | RegExp;
  /** A node's UUID or name, as the request names it: `/v1/nodes/{node}` and everything below it. */
  readonly node?: string;
  /** The share of matching requests that get the fault, drawn from the seeded generator; default 1. */
  readonly share?: number;
  /** At most this many faults from this rule; default unlimited. */
  readonly count?: number;
  readonly fault: Fault;
}

/** A request as the proxy saw it, and what it did with it. */
export interface SeenRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** The node named by `/v1/nodes/{node}…`, if any. */
  readonly node: string | undefined;
  /** The JSON body, when there was one. */
  readonly body: unknown;
  /**
   * The fault injected, if any: its kind (`reset after` for a reset once Ironic acted; `deploy
   * failed` for an answer the {@link FaultProxy.failDeploys} scenario edited).
   */
  fault: Fault['kind'] | 'reset after' | 'deploy failed' | undefined;
  /** The status answered (undefined for a reset). */
  status: number | undefined;
}

export interface FaultProxy {
  /** Give this to the CPI as Ironic's URL. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly SeenRequest[];
  /**
   * Adds a rule after the others, or, `first`, before them (the first rule that fires wins);
   * returns a function that removes it.
   */
  add(rule: FaultRule, options?: { readonly first?: boolean }): () => void;
  /** The faults injected so far, by kind (as {@link SeenRequest.fault} names them). */
  injected(): Record<string, number>;
  /**
   * A server whose deploy fails: once a deploy of a matching node is requested (any node when
   * `node` is not given; the next `count` deploys, default all), the real deploy goes on, but as
   * soon as Ironic reports the node `active`, its reads (`GET /v1/nodes/{node}`) answer `deploy
   * failed` with `lastError`, as Ironic shows a failed deploy, until the node is torn down
   * (`deleted`/`undeploy`) or aborted. The nodes whose deploy failed are returned by `failed`.
   */
  failDeploys(options?: { readonly node?: string; readonly count?: number; readonly lastError?: string }): { readonly failed: readonly string[]; stop(): void };
  stop(): Promise<void>;
}

const NODE_PATH = /^\/v1\/nodes\/([^/?]+)(\/[^?]*)?/;
const DEPLOY_VERBS = new Set(['active', 'deploy']);
const TEARDOWN_VERBS = new Set(['deleted', 'undeploy', 'abort']);

/** Starts the proxy in front of `upstream` (Ironic's URL); `seed` fixes which requests a `share` picks. */
export async function startFaultProxy(upstream: string, options: { readonly seed?: number } = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const random = mulberry32(options.seed ?? 1);
  const rules: { rule: FaultRule; left: number }[] = [];
  const requests: SeenRequest[] = [];
  const counts: Record<string, number> = {};
  const observers: ((seen: SeenRequest) => void)[] = [];
  /** Edits of Ironic's answers by scenarios; one that changes an answer counts as a fault of its kind. */
  const editors: { kind: string; edit: (body: any, seen: SeenRequest) => unknown }[] = [];

  const pick = (seen: SeenRequest): Fault | undefined => {
    for (const entry of rules) {
      const { rule } = entry;
      if (entry.left <= 0 || !matches(rule, seen)) continue;
      if (rule.share !== undefined && random() >= rule.share) continue;
      entry.left--;
      return rule.fault;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path,
        node: NODE_PATH.exec(path)?.[1],
        body: parseJson(raw.toString('utf8')),
        fault: undefined,
        status: undefined,
      };
      requests.push(seen);
      for (const observe of observers) observe(seen);
      const fault = pick(seen);
      if (fault !== undefined) {
        seen.fault = fault.kind === 'reset' && fault.after ? 'reset after' : fault.kind;
        counts[seen.fault] = (counts[seen.fault] ?? 0) + 1;
      }
      void answer(seen, fault, req, res, raw).catch(() => res.destroy());
    });
  });

  async function answer(seen: SeenRequest, fault: Fault | undefined, req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> {
    switch (fault?.kind) {
      case 'reset':
        if (fault.after) await forward(req, raw);
        req.socket.destroy();
        return;
      case 'locked':
        return reply(
          res,
          seen,
          409,
          ironicError(`Node ${seen.node ?? 'unknown'} is locked by host fault-proxy, please retry after the current operation is completed.`),
          {},
        );
      case 'status':
        return reply(
          res,
          seen,
          fault.status,
          fault.body ?? ironicError(http.STATUS_CODES[fault.status] ?? 'Injected fault', fault.status >= 500 ? 'Server' : 'Client'),
          fault.headers ?? {},
        );
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
    }
    const upstreamAnswer = await forward(req, raw);
    let body = upstreamAnswer.body;
    const parsed = parseJson(body.toString('utf8'));
    if (parsed !== undefined) {
      let edited = fault?.kind === 'rewrite' ? fault.edit(parsed, seen) : parsed;
      for (const editor of editors) {
        const next = editor.edit(edited, seen);
        if (next !== edited) {
          seen.fault = editor.kind as SeenRequest['fault'];
          counts[editor.kind] = (counts[editor.kind] ?? 0) + 1;
        }
        edited = next;
      }
      if (edited !== parsed) body = Buffer.from(JSON.stringify(edited));
    }
    const headers = { ...upstreamAnswer.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    seen.status = upstreamAnswer.status;
    res.writeHead(upstreamAnswer.status, headers);
    res.end(body);
  }

  function forward(req: http.IncomingMessage, raw: Buffer): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: { ...answer.headers }, body: Buffer.concat(parts) }));
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(raw);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    add(rule, options = {}) {
      const entry = { rule, left: rule.count ?? Infinity };
      if (options.first) rules.unshift(entry);
      else rules.push(entry);
      return () => {
        const at = rules.indexOf(entry);
        if (at !== -1) rules.splice(at, 1);
      };
    },
    injected: () => ({ ...counts }),
    failDeploys({ node, count = Infinity, lastError = 'Deploy step deploy.write_image failed: the disk did not answer (injected by the fault proxy)' } = {}) {
      const armed = new Set<string>();
      const failed: string[] = [];
      let left = count;
      const observe = (seen: SeenRequest) => {
        if (seen.method !== 'PUT' || seen.node === undefined || !/^\/v1\/nodes\/[^/]+\/states\/provision/.test(seen.path)) return;
        const verb = (seen.body as { target?: string } | undefined)?.target ?? '';
        if (DEPLOY_VERBS.has(verb) && (node === undefined || seen.node === node) && left > 0) {
          left--;
          armed.add(seen.node);
          failed.push(seen.node);
        }
        if (TEARDOWN_VERBS.has(verb)) armed.delete(seen.node);
      };
      const editor = {
        kind: 'deploy failed',
        edit: (body: any, seen: SeenRequest) =>
          seen.method === 'GET' &&
          seen.node !== undefined &&
          armed.has(seen.node) &&
          /^\/v1\/nodes\/[^/?]+(\?|$)/.test(seen.path) &&
          body?.provision_state === 'active'
            ? { ...body, provision_state: 'deploy failed', target_provision_state: 'active', last_error: lastError }
            : body,
      };
      observers.push(observe);
      editors.push(editor);
      return {
        failed,
        stop: () => {
          observers.splice(observers.indexOf(observe), 1);
          editors.splice(editors.indexOf(editor), 1);
        },
      };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function matches(rule: FaultRule, seen: SeenRequest): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== seen.method) return false;
  if (rule.node !== undefined && seen.node !== rule.node) return false;
  if (typeof rule.path === 'string' && !seen.path.split('?')[0]!.startsWith(rule.path)) return false;
  if (rule.path instanceof RegExp && !rule.path.test(seen.path)) return false;
  return true;
}

function reply(res: http.ServerResponse, seen: SeenRequest, status: number, body: unknown, headers: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  seen.status = status;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Ironic's error body: the fault document is itself a JSON string. */
export function ironicError(faultstring: string, faultcode: 'Client' | 'Server' = 'Client'): { error_message: string } {
  return { error_message: JSON.stringify({ faultcode, faultstring, debuginfo: null }) };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A small seeded generator of [0, 1): the same seed gives the same faults. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
