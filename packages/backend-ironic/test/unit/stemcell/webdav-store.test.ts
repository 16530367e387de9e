import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import { makeWebDavStore, type WebDavStoreConfig } from '../../../src/image-store/webdav.js';
import { dropUndefined } from '../ironic/helpers.js';

const ORIGIN = 'http://dav.test:8080';
const NAME = 'sc-0b1e9c2a-3f4d-4e5f-8a6b-7c8d9e0f1a2b.qcow2';
const AUTH = `Basic ${Buffer.from('bosh:s3cret').toString('base64')}`;

let agents: MockAgent[] = [];
afterEach(async () => {
  const current = agents;
  agents = [];
  try {
    for (const agent of current) agent.assertNoPendingInterceptors();
  } finally {
    await Promise.all(current.map((a) => a.close()));
  }
});

function make(config: { readonly [K in keyof WebDavStoreConfig]?: WebDavStoreConfig[K] | undefined } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const store = makeWebDavStore(
    dropUndefined({ type: 'webdav', url: `${ORIGIN}/images/`, username: 'bosh', password: 's3cret', ...config }) as WebDavStoreConfig,
    { dispatcher: agent },
  );
  return { pool: agent.get(ORIGIN), store };
}

const signal = () => new AbortController().signal;
const body = (text: string) => Readable.from([Buffer.from(text)]);

describe('WebDAV image store', () => {
  it('PUTs an empty probe, then the image with its Content-Length and Basic auth, and returns the URL Ironic fetches', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'PUT', path: `/images/${NAME}`, headers: { authorization: AUTH, 'content-length': '0' } }).reply(201, '');
    pool
      .intercept({
        method: 'PUT',
        path: `/images/${NAME}`,
        headers: { authorization: AUTH, 'content-length': '5', 'content-type': 'application/octet-stream' },
      })
      .reply(204, '');
    expect(await store.put(NAME, body('disk!'), 5, signal())).toBe(`${ORIGIN}/images/${NAME}`);
  });

  it('sends no Authorization without a username', async () => {
    const { pool, store } = make({ username: undefined, password: undefined });
    const noAuth = (headers: Record<string, string>) => headers['authorization'] === undefined;
    pool
      .intercept({ method: 'PUT', path: `/images/${NAME}`, headers: noAuth })
      .reply(201, '')
      .times(2);
    await store.put(NAME, body('x'), 1, signal());
  });

  it('makes the collection once when the probe answers 409, then uploads', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(409, '<html>Conflict</html>');
    pool.intercept({ method: 'MKCOL', path: '/images/', headers: { authorization: AUTH } }).reply(201, '');
    pool
      .intercept({ method: 'PUT', path: `/images/${NAME}` })
      .reply(201, '')
      .times(2);
    expect(await store.put(NAME, body('x'), 1, signal())).toBe(`${ORIGIN}/images/${NAME}`);
  });

  it('also tries MKCOL after a 500 (nginx without create_full_put_path), and reports the 500 when that does not help', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(500, '');
    pool.intercept({ method: 'MKCOL', path: '/images/' }).reply(405, '');
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(500, '');
    await expect(store.put(NAME, body('x'), 1, signal())).rejects.toThrowError(`PUT ${ORIGIN}/images/${NAME} answered 500 Internal Server Error`);
  });

  it('reports a collection it cannot make', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(409, '');
    pool.intercept({ method: 'MKCOL', path: '/images/' }).reply(409, '');
    await expect(store.put(NAME, body('x'), 1, signal())).rejects.toThrowError(
      `MKCOL ${ORIGIN}/images/ answered 409 Conflict: the parent collection does not exist`,
    );
  });

  it.each([
    [401, 'Unauthorized: check image_store username and password'],
    [403, 'Forbidden: the server refuses writes there (a read-only location, or a user without write access)'],
    [405, 'Method Not Allowed: the server does not allow this method there: is WebDAV enabled (nginx: dav_methods PUT DELETE MKCOL)?'],
  ])('explains a probe answered %i, before reading any of the image', async (status, text) => {
    const { pool, store } = make();
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(status, '<html>…</html>');
    const image = body('never read');
    const error = (await store.put(NAME, image, 10, signal()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ message: `PUT ${ORIGIN}/images/${NAME} answered ${status} ${text}`, nothingWritten: true });
    expect(error.message).not.toContain('s3cret');
    expect(image.readableDidRead).toBe(false);
  });

  it.each([
    [413, 'Payload Too Large: the server limits the size of uploads (nginx: client_max_body_size 0)'],
    [507, 'Insufficient Storage: the store is out of space'],
    [500, 'Internal Server Error'],
  ])('explains an upload answered %i', async (status, text) => {
    const { pool, store } = make();
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(201, '');
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(status, '');
    const error = (await store.put(NAME, body('x'), 1, signal()).catch((e: unknown) => e)) as Error & { nothingWritten?: boolean };
    expect(error.message).toBe(`PUT ${ORIGIN}/images/${NAME} answered ${status} ${text}`);
    // The probe wrote an empty object: the caller must delete it.
    expect(error.nothingWritten).toBeUndefined();
  });

  it('explains an unreachable store', async () => {
    const { pool, store } = make();
    pool
      .intercept({ method: 'PUT', path: `/images/${NAME}` })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:8080'), { code: 'ECONNREFUSED' }));
    await expect(store.put(NAME, body('x'), 1, signal())).rejects.toThrowError(`PUT ${ORIGIN}/images/${NAME} failed: connect ECONNREFUSED 10.0.0.5:8080`);
  });

  it('deletes, taking a missing object as deleted', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'DELETE', path: `/images/${NAME}`, headers: { authorization: AUTH } }).reply(204, '');
    pool.intercept({ method: 'DELETE', path: `/images/${NAME}` }).reply(404, '<html>Not Found</html>');
    await store.delete(NAME, signal());
    await store.delete(NAME, signal());
  });

  it('reads an object back with its credentials, and reports a refused read', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'GET', path: `/images/${NAME}`, headers: { authorization: AUTH } }).reply(200, 'disk!');
    pool.intercept({ method: 'GET', path: `/images/${NAME}` }).reply(403, '<html>Forbidden</html>');
    expect((await store.read(NAME, signal())).toString()).toBe('disk!');
    await expect(store.read(NAME, signal())).rejects.toThrowError(
      `GET ${ORIGIN}/images/${NAME} answered 403 Forbidden: the server refuses reads there to this account`,
    );
  });

  it('reports a refused delete', async () => {
    const { pool, store } = make();
    pool.intercept({ method: 'DELETE', path: `/images/${NAME}` }).reply(403, '');
    await expect(store.delete(NAME, signal())).rejects.toThrowError(`DELETE ${ORIGIN}/images/${NAME} answered 403 Forbidden: the server refuses writes there`);
  });

  it('knows which URLs are its objects', () => {
    const { store } = make();
    expect(store.location).toBe(`${ORIGIN}/images`);
    expect(store.urlOf(NAME)).toBe(`${ORIGIN}/images/${NAME}`);
    expect(store.nameOf(`${ORIGIN}/images/${NAME}`)).toBe(NAME);
    expect(store.nameOf(`http://DAV.test:8080/images/${NAME}`)).toBe(NAME);
    expect(store.nameOf(`${ORIGIN}/images/sub/${NAME}`)).toBeUndefined();
    expect(store.nameOf(`${ORIGIN}/images/`)).toBeUndefined();
    expect(store.nameOf(`${ORIGIN}/other/${NAME}`)).toBeUndefined();
    expect(store.nameOf(`${ORIGIN}/images2/${NAME}`)).toBeUndefined();
    expect(store.nameOf(`https://dav.test:8080/images/${NAME}`)).toBeUndefined();
    expect(store.nameOf(`http://dav.test:8081/images/${NAME}`)).toBeUndefined();
    expect(store.nameOf(`${ORIGIN}/images/${NAME}?x=1`)).toBeUndefined();
    expect(store.nameOf('not a url')).toBeUndefined();
  });

  it('keeps credentials in the URL out of messages', async () => {
    const { pool, store } = make({ url: 'http://u:pw@dav.test:8080/images' });
    expect(store.location).toBe(`${ORIGIN}/images`);
    pool.intercept({ method: 'PUT', path: `/images/${NAME}` }).reply(403, '');
    const error = (await store.put(NAME, body('x'), 1, signal()).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^PUT http:\/\/dav\.test:8080\/images\/sc-\S+ answered 403/);
  });
});
