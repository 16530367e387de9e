import { CpiError } from '@hybrid-cpi/core';

/**
 * JSON-patch (RFC 6902) operations for `PATCH /v1/nodes/{id}`. Ironic accepts only these three:
 * `test` is a 400, so the only compare-and-set is the `instance_uuid` claim rule.
 */
export type PatchOp = { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown } | { readonly op: 'remove'; readonly path: string };

/** A JSON pointer as given (it must start with `/`), or its keys. */
export type PatchPath = `/${string}` | readonly string[];

/**
 * Ironic's patch schema: `^(/[\w-]+)+$` (Python's Unicode `\w`). A key with `.`, `/`, `~`, a
 * space, … is a 400 "Schema error for patch", so such keys cannot be patched one by one: patch
 * their parent object as a whole (`add(['extra', 'bosh'], {...})`).
 */
const IRONIC_PATH = /^(\/[\p{L}\p{N}_-]+)+$/u;

/** Adds or overwrites (on an object member `add` replaces, so it needs no prior existence). */
export function add(path: PatchPath, value: unknown): PatchOp {
  return { op: 'add', path: ironicPath(path), value };
}

/** Replaces an existing member; a missing one is a 400. */
export function replace(path: PatchPath, value: unknown): PatchOp {
  return { op: 'replace', path: ironicPath(path), value };
}

/**
 * Removes a member; a missing one is a 400 "can't remove a non-existent object". Ironic 21 answers
 * 500 to `remove /automated_clean`: use `replace(['automated_clean'], null)` for that field.
 */
export function remove(path: PatchPath): PatchOp {
  return { op: 'remove', path: ironicPath(path) };
}

/** `['extra', 'a/b~c']` → `/extra/a~1b~0c` (RFC 6901: `~` first, then `/`). */
export function pointer(path: PatchPath): string {
  if (typeof path === 'string') {
    if (!path.startsWith('/')) throw new CpiError('CPX_INTERNAL', `A JSON pointer must start with '/': ${JSON.stringify(path)}`);
    return path;
  }
  if (path.length === 0) throw new CpiError('CPX_INTERNAL', 'A JSON-patch path needs at least one key');
  return path.map((key) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Whether Ironic's patch schema accepts every key of the path. */
export function isIronicPatchPath(path: string): boolean {
  return IRONIC_PATH.test(path);
}

function ironicPath(path: PatchPath): string {
  const result = pointer(path);
  if (!isIronicPatchPath(result)) {
    throw new CpiError(
      'CPX_INTERNAL',
      `Building a node patch: Ironic accepts only letters, digits, '_' and '-' in patch path keys, not ${JSON.stringify(result)}; patch the parent ` +
        `object as a whole`,
    );
  }
  return result;
}
