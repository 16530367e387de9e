import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { finding, messageOf, type DoctorContext, type Finding } from '@hybrid-cpi/core';
import { fetch, type Response } from 'undici';
import type { IronicConfig } from '../config.js';
import { makeImageStore, type ImageStore } from '../image-store/index.js';
import { isNothingWritten } from '../image-store/store.js';
import { seamDispatcher } from '../ironic/connect.js';
import { compareVersions, type VersionRange } from '../ironic/microversions.js';

type StoreConfig = NonNullable<IronicConfig['image_store']>;

/**
 * The first API version of Ironic 24.0, the release that can send credentials when it fetches an
 * image (`[deploy] image_server_auth_strategy = http_basic`). Older ones fetch without any.
 */
const IMAGE_SERVER_AUTH = '1.89';

/**
 * The image store of one Ironic backend, both ways it is used: the CPI writes and reads with the
 * configured credentials, Ironic fetches from the object's URL without them. A small probe object
 * is written, read back with the credentials, fetched without them, and deleted. The probe is
 * deleted whatever fails, so nothing is left behind. `ironic` is what the backend's Ironic
 * offers, when it answered: whether it could fetch with credentials at all.
 */
export async function checkImageStore(config: IronicConfig, ctx: DoctorContext, ironic?: VersionRange): Promise<void> {
  const { name, report, signal } = ctx;
  const storeConfig = config.image_store;
  if (storeConfig === undefined) {
    return report(finding.ok('no image_store: only light stemcells (cloud_properties image_url) can be used'));
  }
  const key = `backends.${name}.image_store`;
  let store: ImageStore;
  try {
    store = makeImageStore(storeConfig, name, seamDispatcher(ctx.seams));
  } catch (error) {
    return report(finding.problem(messageOf(error), `correct ${key}`));
  }
  const object = `hybrid-cpi-doctor-${randomUUID()}.probe`;
  const body = Buffer.from(`hybrid-cpi doctor probe ${object}\n`);
  const url = store.urlOf(object);
  const where = `image store ${store.location}`;
  // Ironic's GET: a plain one, without credentials, through the composition root's dispatcher if it set one.
  const asIronic = seamDispatcher(ctx.seams);
  const user = storeConfig['username'];
  const ours =
    storeConfig.type === 'file'
      ? 'in the directory'
      : user === undefined
        ? 'without credentials (none are configured)'
        : `with the configured credentials (user '${String(user)}')`;
  let written = false;
  try {
    try {
      await store.put(object, Readable.from([body]), body.length, signal);
      written = true;
      report(finding.ok(`${where}: a probe object was written ${ours}`));
    } catch (error) {
      written = !isNothingWritten(error);
      return report(finding.problem(`${where}: writing a probe object ${ours} failed: ${messageOf(error)}`, writeFix(key, storeConfig, messageOf(error))));
    }
    const read = await store.read(object, signal).then(
      (bytes) =>
        bytes.equals(body)
          ? finding.ok(`${where}: the probe object reads back ${ours}`)
          : finding.problem(
              `${where}: the probe object read back ${ours} holds other bytes than were written`,
              `check ${key}.url: it must name the collection the store writes to`,
            ),
      (error: unknown) => finding.problem(`${where}: reading the probe object back ${ours} failed: ${messageOf(error)}`, readFix(key, storeConfig)),
    );
    report(read);
    report(await ironicRead(where, url, body, key, storeConfig, read.status === 'ok' ? ours : undefined, ironic, { signal, ...asIronic }));
    try {
      await store.delete(object, signal);
      written = false;
      const after = await fetch(url, { method: 'GET', signal, ...asIronic })
        .then(async (r) => {
          await r.body?.cancel();
          return r.status;
        })
        .catch(() => undefined);
      if (after === 200) report(finding.problem(`${where}: the probe object is still served after it was deleted`, 'check for a cache in front of the store'));
      else report(finding.ok(`${where}: the probe object was deleted`));
    } catch (error) {
      report(finding.problem(`${where}: deleting the probe object failed: ${messageOf(error)}`, deleteFix(storeConfig, url)));
    }
  } finally {
    // A probe left by a failed check: removed quietly (a failed delete was reported above).
    if (written) await store.delete(object, signal).catch(() => undefined);
    await store.close();
  }
}

/**
 * GET the object the way Ironic fetches images: a plain HTTP GET with no credentials. A store
 * that answers 401 or 403 to it while the CPI's own read worked (`oursWorks` says how) fails only
 * Ironic's read: certainly with an Ironic older than 24.0, unless configured otherwise with a
 * newer one.
 */
async function ironicRead(
  where: string,
  url: string,
  body: Buffer,
  key: string,
  config: StoreConfig,
  oursWorks: string | undefined,
  ironic: VersionRange | undefined,
  options: { signal: AbortSignal },
): Promise<Finding> {
  const servedBy = config.type === 'file' ? `serve ${String(config['path'])} at ${key}.url` : 'serve the collection over GET';
  let response: Response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return finding.problem(
      `${where}: Ironic's GET of the probe object (without credentials) failed: ${cause?.code ?? cause?.message ?? messageOf(error)}`,
      `check ${key}.url: Ironic fetches images from it`,
    );
  }
  const text = Buffer.from(await response.arrayBuffer());
  if (response.status === 401 || response.status === 403) {
    const split = oursWorks === undefined ? '' : `the CPI writes and reads it ${oursWorks}, but `;
    const said = `${where}: ${split}a GET without credentials, as Ironic fetches images, answers ${response.status}`;
    const anonymous =
      'let the web server answer GET (and HEAD) there without authentication, keeping it on PUT and DELETE (nginx: auth_basic inside limit_except GET)';
    if (ironic !== undefined && compareVersions(ironic.max, IMAGE_SERVER_AUTH) < 0) {
      return finding.problem(`${said}; this Ironic (API ${ironic.max}, older than Ironic 24.0) always fetches images without credentials`, anonymous);
    }
    return finding.warning(
      `${said}; Ironic fetches images without credentials unless its ironic.conf sets [deploy] image_server_auth_strategy = http_basic (Ironic 24.0 ` +
        `or later), which cannot be seen from here`,
      `${anonymous}, or set image_server_auth_strategy, image_server_user and image_server_password in [deploy] of ironic.conf to an account of the store`,
    );
  }
  if (response.status !== 200)
    return finding.problem(
      `${where}: Ironic's GET of the probe object (without credentials) answered ${response.status}`,
      `${servedBy} (Ironic fetches images from ${key}.url)`,
    );
  if (!text.equals(body)) return finding.problem(`${where}: Ironic's GET of the probe object returned other bytes than were written`, servedBy);
  return finding.ok(`${where}: the probe object reads back without credentials, as Ironic fetches it`);
}

function writeFix(key: string, config: StoreConfig, message: string): string {
  if (config.type === 'file') {
    const dir = String(config['path']);
    if (/does not exist/.test(message)) return `create ${dir}, or correct ${key}.path`;
    if (/no permission/.test(message)) return `let the user the CPI runs as (vcap) write ${dir}`;
    if (/out of space/.test(message)) return `free space in ${dir}`;
    return `check ${key}.path`;
  }
  const status = Number(/answered (\d{3})/.exec(message)?.[1]);
  const fixes: Record<number, string> = {
    401: `set ${key}.username and .password to an account the WebDAV server accepts`,
    403: `give that account write access there on the WebDAV server, or point ${key}.url at a writable collection`,
    404: `create the collection on the WebDAV server, or correct ${key}.url`,
    405: 'enable WebDAV on that location (nginx: dav_methods PUT DELETE MKCOL)',
    409: `create the collection's parent on the WebDAV server, or correct ${key}.url`,
    413: 'allow large uploads there (nginx: client_max_body_size 0)',
    507: 'free space on the WebDAV server',
  };
  return fixes[status] ?? `check ${key}.url and that the WebDAV server runs and is reachable from this machine`;
}

function readFix(key: string, config: StoreConfig): string {
  if (config.type === 'file') return `let the user the CPI runs as (vcap) read files in ${String(config['path'])}`;
  return `let that account read (GET) what it writes in ${key}.url on the WebDAV server`;
}

function deleteFix(config: StoreConfig, url: string): string {
  const leftover = `remove ${url} by hand`;
  if (config.type === 'file') return `let the user the CPI runs as (vcap) delete files in ${String(config['path'])}; ${leftover}`;
  return `allow DELETE for that account on the WebDAV server (nginx: dav_methods PUT DELETE MKCOL); ${leftover}`;
}
