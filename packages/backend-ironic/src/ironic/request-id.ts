import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The namespace of the name-based UUIDs made from director request ids (fixed: the same id always gives the same UUID). */
const NAMESPACE = 'a7e2f1c4-5b3d-4e8a-9c61-0d2f4b6e8a13';

/**
 * The global request id to send Ironic for a director's request id: `req-<uuid>`, the only form
 * oslo.middleware accepts (it drops anything else). A UUID (or `req-<uuid>`) is kept; any other id
 * (the director sends `cpi-123456`) becomes a name-based UUID of it (RFC 9562 version 5), so one
 * director id always maps to one Ironic id. Undefined when the director sent none.
 */
export function globalRequestId(directorRequestId: string | undefined): string | undefined {
  if (directorRequestId === undefined || directorRequestId === '') return undefined;
  const bare = directorRequestId.replace(/^req-/, '');
  return `req-${UUID.test(bare) ? bare.toLowerCase() : nameUuid(NAMESPACE, directorRequestId)}`;
}

/**
 * RFC 9562 §5.5: SHA-1 of namespace and name, with the version and variant bits set. Node's crypto
 * makes only random UUIDs, and the `uuid` package is not worth a dependency for these lines.
 */
export function nameUuid(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
