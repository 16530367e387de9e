import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { makeDispatcher } from '../tls.js';
import { NothingWritten, type ImageStore } from './store.js';
import { baseUrl, objectNameIn, objectUrl, safeUrl } from './urls.js';

/** `image_store` with `type: webdav` (docs/config-reference.md). */
export interface WebDavStoreConfig {
  readonly type: 'webdav';
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly ca_file?: string;
  readonly insecure?: boolean;
}

export interface WebDavStoreDeps {
  /** Tests; by default an Agent made from the store's TLS settings, closed with the store. */
  readonly dispatcher?: Dispatcher;
  /** Heads the error of a TLS setting that cannot be used. */
  readonly doing?: string;
}

/** Why a WebDAV server may refuse what we ask, by status. */
const HINTS: Readonly<Record<number, string>> = {
  401: 'check image_store username and password',
  403: 'the server refuses writes there (a read-only location, or a user without write access)',
  404: 'the collection does not exist',
  405: 'the server does not allow this method there: is WebDAV enabled (nginx: dav_methods PUT DELETE MKCOL)?',
  409: 'the parent collection does not exist',
  413: 'the server limits the size of uploads (nginx: client_max_body_size 0)',
  507: 'the store is out of space',
};

/**
 * A WebDAV collection (nginx `dav_methods PUT DELETE MKCOL`, Apache mod_dav, ...) that also serves
 * the objects over plain GET, which is how Ironic fetches them.
 */
export function makeWebDavStore(config: WebDavStoreConfig, deps: WebDavStoreDeps = {}): ImageStore {
  const base = baseUrl(config.url);
  const location = safeUrl(base);
  const dispatcher =
    deps.dispatcher ??
    makeDispatcher(
      { ...(config.ca_file === undefined ? {} : { ca_file: config.ca_file }), insecure: config.insecure === true },
      deps.doing ?? 'Configuring the image store',
    );
  const auth: Record<string, string> =
    config.username === undefined ? {} : { authorization: `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}` };

  async function exchange(method: string, url: string, signal: AbortSignal, body?: Readable, size = 0): Promise<Dispatcher.ResponseData> {
    const { origin, pathname, search } = new URL(url);
    const headers: Record<string, string> = { ...auth };
    if (method === 'PUT') Object.assign(headers, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    try {
      return await dispatcher.request({ origin, path: pathname + search, method: method as Dispatcher.HttpMethod, headers, body: body ?? null, signal });
    } catch (error) {
      throw new Error(`${method} ${safeUrl(url)} failed: ${reason(error)}`, { cause: error });
    }
  }

  async function send(method: string, url: string, signal: AbortSignal, body?: Readable, size = 0): Promise<number> {
    const response = await exchange(method, url, signal, body, size);
    // Error pages are HTML: their text adds nothing to the status.
    await response.body.dump().catch(() => undefined);
    return response.statusCode;
  }

  const refused = (method: string, url: string, status: number): Error => {
    const hint = method === 'GET' && status === 403 ? 'the server refuses reads there to this account' : HINTS[status];
    return new Error(`${method} ${safeUrl(url)} answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() + (hint === undefined ? '' : `: ${hint}`));
  };

  /**
   * An empty PUT first: it finds a refusal (auth, read-only, missing collection) before any of the
   * image is read, and a missing collection can still be made with MKCOL, which a streamed body
   * the server already consumed could not be sent again for. A missing collection answers 409
   * (RFC 4918 §9.7.1), or 500 from nginx without create_full_put_path.
   */
  async function probe(url: string, signal: AbortSignal): Promise<void> {
    let status = await send('PUT', url, signal);
    if (status === 409 || status === 500) {
      const collection = `${base}/`;
      const made = await send('MKCOL', collection, signal);
      // 405: the collection exists already (someone else made it meanwhile).
      if (!ok(made) && made !== 405) throw refused('MKCOL', collection, made);
      status = await send('PUT', url, signal);
    }
    if (!ok(status)) throw refused('PUT', url, status);
  }

  return {
    location,
    urlOf: (name) => objectUrl(base, name),
    async put(name, body, size, signal) {
      const url = objectUrl(base, name);
      try {
        await probe(url, signal);
      } catch (error) {
        // Aborted while the probe was in flight, the empty object may exist.
        if (signal.aborted) throw error;
        throw new NothingWritten((error as Error).message, { cause: error });
      }
      const status = await send('PUT', url, signal, body, size);
      if (!ok(status)) throw refused('PUT', url, status);
      return url;
    },
    async read(name, signal) {
      const url = objectUrl(base, name);
      const response = await exchange('GET', url, signal);
      if (ok(response.statusCode)) return Buffer.from(await response.body.arrayBuffer());
      await response.body.dump().catch(() => undefined);
      throw refused('GET', url, response.statusCode);
    },
    async delete(name, signal) {
      const url = objectUrl(base, name);
      const status = await send('DELETE', url, signal);
      if (!ok(status) && status !== 404) throw refused('DELETE', url, status);
    },
    nameOf: (url) => objectNameIn(base, url),
    close: async () => {
      if (deps.dispatcher === undefined) await dispatcher.close();
    },
  };
}

function ok(status: number): boolean {
  return status >= 200 && status < 300;
}

/** undici puts the socket error (ECONNREFUSED, certificate problems) in `cause`. */
function reason(error: unknown): string {
  const e = error as { message?: string; code?: string; cause?: { message?: string } };
  const cause = e.cause?.message;
  const message = e.message ?? String(error);
  return cause !== undefined && !message.includes(cause) ? `${message} (${cause})` : message;
}
