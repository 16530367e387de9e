import { randomUUID } from 'node:crypto';

const NAME = /^sc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(qcow2|raw)$/;

/** A fresh store object name for a stemcell image: `sc-<uuid>.<qcow2|raw>`. */
export function newImageName(diskFormat: 'qcow2' | 'raw'): string {
  return `sc-${randomUUID()}.${diskFormat}`;
}

/**
 * Whether a store object has a name create_stemcell gives. delete_stemcell removes only those:
 * anything else in the store was put there by someone else.
 */
export function isImageName(name: string): boolean {
  return NAME.test(name);
}
