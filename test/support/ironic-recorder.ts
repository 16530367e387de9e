// A recording HTTP proxy in front of the lab's Ironic: the CPI under test talks to it, and the
// test reads back every request it made (method, path, JSON body, status, global request id),
// e.g. to prove that a recreate asked for `rebuild` and never for `deleted`, or to count the
// requests of each call.
import http from 'node:http';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly status: number;
  /** Its `X-OpenStack-Request-ID` header: the global request id of the CPI call that made it. */
  readonly requestId: string | undefined;
  /** From the request's end to its answer's end, in ms: Ironic's time to answer (and the proxy's). */
  readonly ms: number;
}

export interface IronicRecorder {
  readonly url: string;
  /** The requests since the start or the last `take`, in the order they were answered. */
  take(): RecordedRequest[];
  stop(): Promise<void>;
}

export async function startIronicRecorder(ironicUrl: string): Promise<IronicRecorder> {
  const target = new URL(ironicUrl);
  let requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const started = performance.now();
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          const requestId = req.headers['x-openstack-request-id'];
          answer.on('end', () =>
            requests.push({
              method: req.method ?? '',
              path: req.url ?? '',
              body: parse(body),
              status: answer.statusCode ?? 0,
              requestId: Array.isArray(requestId) ? requestId[0] : requestId,
              ms: performance.now() - started,
            }),
          );
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    take() {
      const taken = requests;
      requests = [];
      return taken;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parse(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return body.toString('utf8');
  }
}
