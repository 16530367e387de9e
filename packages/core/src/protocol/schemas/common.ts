/** Schema building blocks for the per-method argument schemas (build time only). */
export type Schema = Record<string, unknown>;

export const cid: Schema = { type: 'string', minLength: 1 };
export const object: Schema = { type: 'object' };
export const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
export const positiveInteger: Schema = { type: 'integer', minimum: 1 };
export const nonEmptyString: Schema = { type: 'string', minLength: 1 };
/** `set_*_metadata` and `snapshot_disk`: director tags are strings, snapshot `index` is an integer. */
export const metadata: Schema = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } };

/** A positional argument list of exactly these items, or of `min` to all of them. */
export function tuple(items: Schema[], min = items.length): Schema {
  if (items.length === 0) return { type: 'array', maxItems: 0 };
  return { type: 'array', items, minItems: min, maxItems: items.length, additionalItems: false };
}

/** The same arguments in every API version the method exists in. */
export function sameInAll(versions: readonly number[], schema: Schema): Record<number, Schema> {
  return Object.fromEntries(versions.map((v) => [v, schema]));
}
