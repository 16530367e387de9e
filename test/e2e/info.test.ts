// `info` answers from the config alone: api_version 2 and the union of the backends' stemcell
// formats, without touching any backend (docs/architecture.md#the-protocol; the director calls it before almost
// every other call, so it must be fast and side-effect free).
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cpi, Workspace, describeRun, expectDirectorResponse, runCpi } from './helpers/cpi.js';

const ws = new Workspace('info');
afterAll(() => ws.cleanup());

/** A TCP server that accepts and holds every connection, and counts them. */
interface Listener {
  server: net.Server;
  port: number;
  connections: net.Socket[];
}

async function listen(): Promise<Listener> {
  const connections: net.Socket[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    connections.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as net.AddressInfo).port, connections };
}

async function close(listener: Listener): Promise<void> {
  for (const socket of listener.connections) socket.destroy();
  await new Promise<void>((resolve) => listener.server.close(() => resolve()));
}

/**
 * The connections the server accepted from others than us. Connecting once ourselves and waiting
 * until the server has seen that connection makes the count final: the kernel hands accepted
 * connections over in order, so any the CPI made are counted before ours.
 */
async function connectionsBesidesProbe(listener: Listener): Promise<number> {
  const probe = net.connect(listener.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.once('connect', () => resolve());
  });
  const probePort = probe.localPort;
  try {
    while (!listener.connections.some((s) => s.remotePort === probePort)) {
      await new Promise<void>((resolve) => listener.server.once('connection', () => resolve()));
    }
    return listener.connections.filter((s) => s.remotePort !== probePort).length;
  } finally {
    probe.destroy();
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(ironicPort: number, stateDir: string) {
  return {
    default_backend: 'metal',
    legacy_backend: 'vms',
    log_level: 'debug',
    backends: {
      metal: { type: 'memory', stemcell_formats: ['openstack-qcow2', 'openstack-raw'], state_file: `${stateDir}/metal.json` },
      vms: { type: 'memory', stemcell_formats: ['vsphere-ova', 'vsphere-ovf', 'openstack-raw'], state_file: `${stateDir}/vms.json` },
      irn: {
        type: 'ironic',
        ironic: { url: `http://127.0.0.1:${ironicPort}`, auth: { type: 'http_basic', username: 'u', password: 'ironic-pw' } },
        image_store: { type: 'webdav', url: `http://127.0.0.1:${ironicPort}/images`, username: 'u', password: 'image-pw' },
      },
    },
  };
}

/** metal's formats, then vms' new ones, then the Ironic backend's new one: config order, no repeats. */
const UNION = ['openstack-qcow2', 'openstack-raw', 'vsphere-ova', 'vsphere-ovf', 'openstack-light'];

describe('info', () => {
  let ironic: Listener;
  let cpi: Cpi;
  // The state files live in a directory that does not exist: a backend that tried to load or
  // create its state would fail, and info must not care.
  const stateDir = ws.path('no-such-dir');

  beforeAll(async () => {
    ironic = await listen();
    cpi = new Cpi(ws.writeConfig('info.json', config(ironic.port, stateDir)), ws.dir);
  });
  afterAll(async () => close(ironic));

  it('reports api_version 2 and the union of the stemcell formats in config order, deduplicated', async () => {
    const result = await cpi.ok('info', []);
    expect(result).toEqual({ api_version: 2, stemcell_formats: UNION });
  });

  it('reports api_version 2 whichever api_version the request carries', async () => {
    for (const apiVersion of [1, 2, 3]) {
      expect(await cpi.ok('info', [], { apiVersion })).toEqual({ api_version: 2, stemcell_formats: UNION });
    }
  });

  it('answers with no arguments and no context, as bosh create-env may send it', async () => {
    const run = await runCpi(cpi.configFile, '{"method":"info","arguments":[]}', { tmp: ws.dir });
    expect(expectDirectorResponse(run).result).toEqual({ api_version: 2, stemcell_formats: UNION });
  });

  it('(self-check) the connection counter sees a client that connects', async () => {
    const other = await listen();
    try {
      const client = net.connect(other.port, '127.0.0.1');
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      expect(await connectionsBesidesProbe(other)).toBe(1);
      client.destroy();
    } finally {
      await close(other);
    }
  });

  it('makes no network connection even when a configured Ironic is reachable', async () => {
    await cpi.ok('info', []);
    await cpi.ok('info', [], { apiVersion: 2 });
    await cpi.ok('info', [], { apiVersion: 3, context: { director_uuid: 'd', request_id: 'cpi-424242', vm: { stemcell: { api_version: 3 } } } });
    expect(await connectionsBesidesProbe(ironic)).toBe(0);
  });

  it('touches no backend state', () => {
    expect(fs.existsSync(stateDir)).toBe(false);
  });

  it('still answers, quickly, when the configured Ironic and image store are down', async () => {
    const port = await closedPort();
    const down = new Cpi(ws.writeConfig('down.json', config(port, stateDir)), ws.dir);
    for (const apiVersion of [undefined, 2]) {
      const { run, response } = await down.call('info', [], apiVersion === undefined ? {} : { apiVersion });
      expect(response.result, describeRun(run)).toEqual({ api_version: 2, stemcell_formats: UNION });
      // A start-up takes tens of milliseconds; an HTTP client retrying a refused connection with
      // back-off takes seconds. The bound leaves room for a loaded machine.
      expect(run.ms).toBeLessThan(5_000);
    }
  });
});
