declare const VALUE: unique symbol;

/**
 * A JSON Schema: plain data, compiled into a validator at build time (scripts/build.mjs). For the
 * compiler only, it carries the TypeScript type of the values it accepts, so that a method's
 * request type is read off the same schemas that validate its requests.
 */
export interface Schema<T> {
  readonly [VALUE]?: T;
  readonly [keyword: string]: unknown;
}

export type ValueOf<S> = S extends Schema<infer T> ? T : never;

export const nonEmptyString: Schema<string> = { type: 'string', minLength: 1 };
export const positiveInteger: Schema<number> = { type: 'integer', minimum: 1 };

/** An object; `T`, where given, is the type its other keywords (`required`, `properties`, ...) describe. */
export function object(keywords?: Readonly<Record<string, unknown>>): Schema<Readonly<Record<string, unknown>>>;
export function object<T extends object>(keywords?: Readonly<Record<string, unknown>>): Schema<T>;
export function object(keywords: Readonly<Record<string, unknown>> = {}): Schema<object> {
  return { type: 'object', ...keywords };
}

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return { anyOf: [schema, { type: 'null' }] };
}

export function listOf<T>(items: Schema<T>): Schema<readonly T[]> {
  return { type: 'array', items };
}

/** A positional argument list of exactly these items, or of `min` to all of them. */
export function tuple(items: readonly Schema<unknown>[], min = items.length): Schema<readonly unknown[]> {
  if (items.length === 0) return { type: 'array', maxItems: 0 };
  return { type: 'array', items, minItems: min, maxItems: items.length, additionalItems: false };
}
