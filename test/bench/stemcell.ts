// Upload throughput and memory of create_stemcell for a heavy OpenStack stemcell (2 GiB root.img,
// disk-like content, gzipped tar) to a real WebDAV server (nginx, test/support/webdav-lab.ts),
// against curl uploading the same bytes to the same server. Prints figures; asserts nothing.
//
// create_stemcell runs in a child process: packages/backend-ironic/src/methods/stemcells.ts bundled
// by esbuild the way scripts/build.mjs bundles the CLI (the "source" condition, lazy imports kept),
// called directly with a webdav image_store, so the peak RSS is the uploader's own; then, when
// packages/cli/dist/hybrid-cpi exists, through that executable (request on stdin, as the director
// does). The breakdown runs the pipeline with stages left out (gunzip; gunzip + tar; + hashes).
// Times are each process's wall time, start-up included.
//
// Usage: node test/bench/stemcell.ts   (Node 24, the pinned node_modules/.bin/node)
//   STEMCELL_BENCH_MB=2048         size of root.img in MiB
//   STEMCELL_BENCH_CACHE=/some/dir keep the generated root.img and image there between runs
//   STEMCELL_BENCH_TMP=/some/dir   where the files and the WebDAV server's data go; default /dev/shm
//                                  when it has room, so that the figures are of CPU, not of a disk
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { WebDavLab } from '../support/webdav-lab.js';

// See test/bench/ironic-select.ts: Node strips types but does not map `.js` to `.ts`.
const { startWebDav } = (await import(new URL('../support/webdav-lab.ts', import.meta.url).href)) as typeof import('../support/webdav-lab.js');

const ROOT = path.resolve(import.meta.dirname, '../..');
const MB = Number(process.env['STEMCELL_BENCH_MB'] ?? 2048);
const SEGMENT = 64 * 1024;
const TIME = '/usr/bin/time';
const BINARY = process.env['STEMCELL_BENCH_BINARY'] ?? path.join(ROOT, 'packages/cli/dist/hybrid-cpi');

const SCRATCH = process.env['STEMCELL_BENCH_TMP'] ?? (hasRoom('/dev/shm', 3 * MB * 1024 * 1024) ? '/dev/shm' : os.tmpdir());
const work = fs.mkdtempSync(path.join(SCRATCH, 'bench-stemcell-'));
const cache = process.env['STEMCELL_BENCH_CACHE'] ?? work;
fs.mkdirSync(cache, { recursive: true });
const rootImg = path.join(cache, 'root.img');
const image = path.join(cache, 'image');
let labPid: number | undefined;

interface Run {
  readonly seconds: number;
  readonly maxRssMb: number;
  /** CPU seconds (user + system) of the command (and its children) and of the nginx process. */
  readonly cpu: number;
  readonly nginxCpu: number;
  readonly stdout: string;
}

function hasRoom(dir: string, bytes: number): boolean {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize > bytes;
  } catch {
    return false;
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * root.img of MB MiB like a disk image: per 64 KiB segment, zeros (45%), random bytes (30%, like
 * compressed files) or text-like bytes from a small vocabulary (25%); then `tar | gzip -6` like
 * the stemcell builder's `tar zcf`. Returns the sha256 of root.img and of the tar.
 */
async function generate(): Promise<{ rootImg: string; tar: string }> {
  const done = path.join(cache, 'checksums.json');
  if (fs.existsSync(done) && fs.existsSync(image) && fs.existsSync(rootImg) && fs.statSync(rootImg).size === MB * 1024 * 1024) {
    return JSON.parse(fs.readFileSync(done, 'utf8')) as { rootImg: string; tar: string };
  }
  const started = Date.now();
  let seed = 0x2545f491;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const words = Array.from({ length: 400 }, () =>
    Array.from({ length: 2 + Math.floor(next() * 9) }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join(''),
  );
  const texts = Array.from({ length: 32 }, () => {
    let s = '';
    while (s.length < SEGMENT) s += `${words[Math.floor(next() * words.length)]}${next() < 0.1 ? '\n' : ' '}`;
    return Buffer.from(s.slice(0, SEGMENT));
  });
  const hash = createHash('sha256');
  const fd = fs.openSync(rootImg, 'w');
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < MB; i++) {
    for (let at = 0; at < block.length; at += SEGMENT) {
      const r = next();
      if (r < 0.45) block.fill(0, at, at + SEGMENT);
      else if (r < 0.75) randomFillSync(block, at, SEGMENT);
      else texts[Math.floor(next() * texts.length)]!.copy(block, at);
    }
    hash.update(block);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  fs.writeFileSync(path.join(cache, 'stemcell.MF'), 'name: bench\n');
  execFileSync('/bin/sh', ['-c', `tar -C '${cache}' -cf - stemcell.MF root.img | gzip -6 > '${image}'`]);
  const tar = createHash('sha256');
  execFileSync('/bin/sh', ['-c', `gzip -dc '${image}' > '${image}.tar'`]);
  for await (const chunk of fs.createReadStream(`${image}.tar`)) tar.update(chunk as Buffer);
  fs.rmSync(`${image}.tar`);
  const sums = { rootImg: hash.digest('hex'), tar: tar.digest('hex') };
  fs.writeFileSync(done, JSON.stringify(sums));
  log(`generated ${MB} MiB root.img and its gzipped tar in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return sums;
}

/** The child's program: createStemcell, or the pipeline cut short after a stage. */
const RUNNER = `
import fs from 'node:fs';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { extract } from 'tar-stream';
import { createStemcell } from './src/methods/stemcells.ts';
import { scavenger } from './src/stemcell/scavenge.ts';

const [mode, imagePath, storeJson] = process.argv.slice(2);
const line = (level) => (fields, msg) =>
  process.stderr.write(JSON.stringify({ level, ...(typeof fields === 'string' ? { msg: fields } : { ...fields, msg }) }) + '\\n');
const logger = { trace() {}, debug() {}, info: line('info'), warn: line('warn'), error: line('error'), isLevelEnabled: () => true, child() { return logger; } };
const started = performance.now();
let result;
if (mode === 'upload') {
  const config = { type: 'ironic', ironic: { url: 'http://127.0.0.1:9' }, image_store: JSON.parse(storeJson) };
  const ctx = { name: 'metal', config, agent: undefined, client: {}, logger, useAllocations: async () => true };
  const call = {
    method: 'create_stemcell', apiVersion: 2, requestedApiVersion: 2, requestId: 'bench', directorUuid: undefined, stemcellApiVersion: undefined,
    context: {}, directorRequest: undefined, logger, responseLog: { append() {} }, signal: new AbortController().signal,
  };
  const cloudProperties = { infrastructure: 'openstack', disk_format: 'qcow2', container_format: 'bare' };
  result = { cid: await createStemcell(ctx, call, { imagePath, cloudProperties, env: undefined }) };
} else {
  let bytes = 0;
  const sha = createHash('sha256');
  const done = scavenger(8 << 20);
  // One scavenge per 8 MB as in upload.ts (more often, and Buffers alive across two get promoted).
  const sink = new Writable({ write(chunk, _e, cb) { bytes += chunk.length; if (mode === 'gunzip') done(chunk.length); cb(); } });
  if (mode === 'gunzip') {
    await pipeline(fs.createReadStream(imagePath, { highWaterMark: 1 << 20 }), zlib.createGunzip({ chunkSize: 1 << 18 }), sink);
  } else {
    const archive = extract();
    const reading = pipeline(fs.createReadStream(imagePath, { highWaterMark: 1 << 20 }), zlib.createGunzip({ chunkSize: 1 << 18 }), archive);
    // Shaped like upload.ts: root.img through an async generator and Readable.from into a sink.
    async function* pass(entry) {
      for await (const chunk of entry) {
        if (mode === 'hash') sha.update(chunk);
        yield chunk;
        done(chunk.length);
      }
    }
    for await (const entry of archive) {
      if (entry.header.name === 'root.img') await pipeline(Readable.from(pass(entry), { objectMode: false }), sink);
      else entry.resume();
    }
    await reading;
  }
  result = { bytes, ...(mode === 'hash' ? { sha256: sha.digest('hex') } : {}) };
}
process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, ...result }));
`;

async function bundleRunner(): Promise<string> {
  const outfile = path.join(work, 'runner.mjs');
  await build({
    stdin: { contents: RUNNER, resolveDir: path.join(ROOT, 'packages/backend-ironic'), sourcefile: 'runner.mjs', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    outfile,
    conditions: ['source'],
    logLevel: 'warning',
    // undici and the like are CommonJS: give the ESM bundle a require.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}

/** Runs a command under /usr/bin/time; its progress lines pass through to stderr. */
function timed(command: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const nginxBefore = nginxCpu();
    const child = spawn(TIME, ['-f', 'BENCH-TIME %M %U %S', command, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const l of d.toString().split('\n')) if (l.includes('uploading stemcell') || l.includes('uploaded stemcell')) process.stderr.write(`  ${l}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const time = /BENCH-TIME (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (code !== 0 || time === null) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds, maxRssMb: Number(time[1]) / 1024, cpu: Number(time[2]) + Number(time[3]), nginxCpu: nginxCpu() - nginxBefore, stdout });
    });
  });
}

/** CPU seconds nginx has used so far (0 before the lab runs). */
function nginxCpu(): number {
  if (labPid === undefined) return 0;
  const fields = fs.readFileSync(`/proc/${labPid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Checks the stored object of a stemcell CID against root.img's sha256, then removes it. */
async function checkStored(lab: WebDavLab, cid: string, expected: string): Promise<string> {
  const [, , hash, ...url] = cid.split(':');
  const stored = path.join(lab.root, new URL(url.join(':')).pathname);
  const ok = hash === expected && (await sha256File(stored)) === expected;
  fs.rmSync(stored);
  return ok ? 'stored sha256 = CID = root.img' : 'SHA256 MISMATCH';
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function main(): Promise<void> {
  let lab: WebDavLab | undefined;
  try {
    const expected = await generate();
    const imageMb = fs.statSync(image).size / 1e6;
    const rootMb = fs.statSync(rootImg).size / 1e6;
    log(
      `root.img ${rootMb.toFixed(0)} MB (sha256 ${expected.rootImg.slice(0, 16)}…), image ${imageMb.toFixed(0)} MB gzipped ` +
        `(${((imageMb / rootMb) * 100).toFixed(0)}%)`,
    );
    const runner = await bundleRunner();
    lab = await startWebDav({ parentDir: SCRATCH });
    labPid = lab.pid;
    const auth = `${lab.username}:${lab.password}`;
    const results: string[] = [];
    const row = (what: string, seconds: number, run: Run, verified: string) =>
      results.push(
        `${what.padEnd(40)} ${(rootMb / seconds).toFixed(0).padStart(5)} MB/s ${seconds.toFixed(2).padStart(6)} s ` +
          `${run.maxRssMb.toFixed(0).padStart(5)} MB ${run.cpu.toFixed(1).padStart(6)} s ${run.nginxCpu.toFixed(1).padStart(6)} s   ${verified}`,
      );

    // Breakdown first (no store): where the time of our pipeline goes.
    for (const mode of ['gunzip', 'extract', 'hash'] as const) {
      const run = await timed(process.execPath, [runner, mode, image]);
      const out = JSON.parse(run.stdout) as { seconds: number; bytes: number; sha256?: string };
      const check = out.sha256 === undefined ? '' : out.sha256 === expected.rootImg ? 'sha256 ok' : 'SHA256 MISMATCH';
      row(`  no upload: ${mode === 'gunzip' ? 'gunzip' : mode === 'extract' ? 'gunzip+tar' : 'gunzip+tar+sha256'}`, run.seconds, run, check);
    }

    // create_stemcell to WebDAV.
    const config = { type: 'webdav', url: `${lab.url}/stemcells`, username: lab.username, password: lab.password };
    const ours = await timed(process.execPath, [runner, 'upload', image, JSON.stringify(config)]);
    row('create_stemcell (function, bundled)', ours.seconds, ours, await checkStored(lab, (JSON.parse(ours.stdout) as { cid: string }).cid, expected.rootImg));

    // The same through the built executable, when there is one that has this create_stemcell.
    if (fs.existsSync(BINARY)) {
      const file = path.join(work, 'cpi.json');
      fs.writeFileSync(file, JSON.stringify({ backends: { metal: { type: 'ironic', ironic: { url: 'http://127.0.0.1:9' }, image_store: config } } }));
      const request = {
        method: 'create_stemcell',
        arguments: [image, { infrastructure: 'openstack', disk_format: 'qcow2', container_format: 'bare' }],
        context: { director_uuid: 'bench' },
        api_version: 2,
      };
      const cpi = await timed(BINARY, ['--config', file], JSON.stringify(request));
      const response = JSON.parse(cpi.stdout) as { result: string | null; error: { message: string } | null };
      if (response.result === null) results.push(`${'hybrid-cpi create_stemcell'.padEnd(40)} skipped: ${response.error?.message.slice(0, 160) ?? '?'}`);
      else row('hybrid-cpi create_stemcell (executable)', cpi.seconds, cpi, await checkStored(lab, response.result.replace(/^metal:/, ''), expected.rootImg));
    }

    // curl, the raw root.img.
    const raw = await timed('curl', ['-sS', '-f', '-u', auth, '-T', rootImg, `${lab.url}/curl/root.img`]);
    const rawHash = await sha256File(path.join(lab.root, 'curl/root.img'));
    row('curl -T root.img', raw.seconds, raw, rawHash === expected.rootImg ? 'stored sha256 = root.img' : 'SHA256 MISMATCH');
    fs.rmSync(path.join(lab.root, 'curl/root.img'));

    // gzip -dc | curl: decompresses as we do (it uploads the whole tar, root.img plus headers).
    const piped = await timed('/bin/sh', ['-c', `gzip -dc '${image}' | curl -sS -f -u '${auth}' -T - '${lab.url}/curl/image.tar'`]);
    const tarHash = await sha256File(path.join(lab.root, 'curl/image.tar'));
    row('gzip -dc image | curl -T -', piped.seconds, piped, tarHash === expected.tar ? 'stored sha256 = tar' : 'SHA256 MISMATCH');
    fs.rmSync(path.join(lab.root, 'curl/image.tar'));

    log('');
    log(`${'what'.padEnd(40)} ${'root.img'.padStart(10)} ${'time'.padStart(8)} ${'peak RSS'.padStart(8)} ${'CPU'.padStart(8)} ${'nginx CPU'.padStart(8)}`);
    for (const line of results) log(line);
    log('');
    log(`create_stemcell / curl raw: ${(raw.seconds / ours.seconds).toFixed(2)}x   create_stemcell / gzip|curl: ${(piped.seconds / ours.seconds).toFixed(2)}x`);
    log(
      `(MB = 10^6 bytes of root.img per second; peak RSS of the whole process, for the shell pipeline its largest process; CPU = user + system ` +
        `seconds, the pipeline's processes summed)`,
    );
    log(
      `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, zlib ${process.versions.zlib}; files and WebDAV ` +
        `data in ${SCRATCH}`,
    );
  } finally {
    await lab?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
