// The words the method table (methods.ts) is written in, and the types read off it.
import type { CidKind, NativeCid, ProxyCid } from '../cid/types.js';
import { nonEmptyString, type Schema } from './schema.js';

export type ApiVersion = 1 | 2 | 3;

/** What a CID argument holds: one CID, a list of them, or null. */
type CidShape = string | null | readonly string[];

/** One positional argument of a method. */
export interface Arg<
  N extends string = string,
  T = unknown,
  K extends CidKind | undefined = CidKind | undefined,
  E = unknown,
  S extends ApiVersion | undefined = ApiVersion | undefined,
> {
  readonly name: N;
  readonly schema: Schema<T>;
  /** The kind of the CIDs it holds (the argument itself, or each item of its list); undefined: none. */
  readonly cid: K;
  /** Sent from this API version on, and optional there; undefined: in every version, always. */
  readonly since: S;
  /** What a backend gets where the director sent null; undefined: undefined. */
  readonly orElse: E;
  /** Every value in it is a secret (an agent `env`: all but `bosh.group(s)` and `bosh.tags`). */
  readonly secretValues: boolean;
}

interface ArgOptions<T> {
  readonly since?: ApiVersion;
  readonly orElse?: NonNullable<T>;
  readonly secretValues?: true;
}
type OrElseOf<O> = O extends { readonly orElse: infer E } ? E : undefined;
type SinceOf<O> = O extends { readonly since: infer S extends ApiVersion } ? S : undefined;

export function arg<const N extends string, T>(name: N, schema: Schema<T>): Arg<N, T, undefined, undefined, undefined>;
export function arg<const N extends string, T, const O extends ArgOptions<T>>(
  name: N,
  schema: Schema<T>,
  options: O,
): Arg<N, T, undefined, OrElseOf<O>, SinceOf<O>>;
export function arg(name: string, schema: Schema<unknown>, options: ArgOptions<unknown> = {}): Arg {
  return { name, schema, cid: undefined, since: options.since, orElse: options.orElse, secretValues: options.secretValues ?? false };
}

/** An argument that holds CIDs of one kind: a CID, or (by its schema) a list of them, or null. */
export function cidArg<const N extends string, K extends CidKind>(name: N, kind: K): Arg<N, string, K, undefined, undefined>;
export function cidArg<const N extends string, K extends CidKind, T extends CidShape, const O extends ArgOptions<T> = Record<never, never>>(
  name: N,
  kind: K,
  schema: Schema<T>,
  options?: O,
): Arg<N, T, K, OrElseOf<O>, undefined>;
export function cidArg(name: string, kind: CidKind, schema: Schema<CidShape> = nonEmptyString, options: ArgOptions<CidShape> = {}): Arg {
  return { ...arg(name, schema, options), cid: kind };
}

/** What a value of the result must be, and what messages call it. */
export interface Check<T> {
  /** "disk hint": what "returned no …" names. */
  readonly name: string;
  /** "a disk hint (a non-empty string or an object)": what "expected …" says. */
  readonly expected: string;
  accepts(value: unknown): value is T;
  /** The value that stands for none, where a backend of an older API version gives none that is not needed. */
  readonly none?: T;
}

/** CIDs in a result: the core prefixes them with the backend's name. */
export interface CidPart<K extends CidKind = CidKind, L extends boolean = boolean, O extends boolean = boolean> {
  readonly cid: K;
  readonly list: L;
  /** Null on the wire, undefined for the backend. */
  readonly nullable: O;
  /** The method that deletes what was just made, should its CID not reach the director. */
  readonly undo: string | undefined;
}

/** A value in a result that passes as it is. */
export interface ValuePart<T = unknown> {
  readonly check: Check<T>;
  /** Where a backend of an older API version leaves it out, or gives something else: this argument. */
  readonly orArgument: string | undefined;
}

export type Part = CidPart | ValuePart;

export function cid<K extends CidKind>(kind: K): CidPart<K, false, false> {
  return { cid: kind, list: false, nullable: false, undo: undefined };
}
export function cidOrNull<K extends CidKind>(kind: K): CidPart<K, false, true> {
  return { cid: kind, list: false, nullable: true, undo: undefined };
}
export function cidList<K extends CidKind>(kind: K): CidPart<K, true, false> {
  return { cid: kind, list: true, nullable: false, undo: undefined };
}
/** The CID of something the call made, and the method that deletes it again. */
export function created<K extends CidKind>(kind: K, undo: string): CidPart<K, false, false> {
  return { cid: kind, list: false, nullable: false, undo };
}
export function value<T>(check: Check<T>, options: { orArgument?: string } = {}): ValuePart<T> {
  return { check, orArgument: options.orArgument };
}

/** A method's result: nothing (null), one value (null before `since`), or a list of named parts. */
export type Result = NothingResult | OneResult | PartsResult;
export interface NothingResult {
  readonly kind: 'nothing';
}
export interface OneResult<P extends Part = Part> {
  readonly kind: 'one';
  readonly part: P;
  readonly since: ApiVersion | undefined;
}
/** `[a, b, c]` on the wire, `{a, b, c}` for a backend; before `bareBefore`, the first part alone. */
export interface PartsResult<P extends Readonly<Record<string, Part>> = Readonly<Record<string, Part>>> {
  readonly kind: 'parts';
  readonly parts: P;
  readonly bareBefore: ApiVersion | undefined;
}

export const nothing: NothingResult = { kind: 'nothing' };
export function one<P extends Part>(part: P, options: { since?: ApiVersion } = {}): OneResult<P> {
  return { kind: 'one', part, since: options.since };
}
export function parts<const P extends Readonly<Record<string, Part>>>(named: P, options: { bareBefore?: ApiVersion } = {}): PartsResult<P> {
  return { kind: 'parts', parts: named, bareBefore: options.bareBefore };
}

/** What the core gives a method it answers itself. */
export interface CoreScope {
  /** The union of the configured backends' stemcell formats. */
  stemcellFormats(): string[];
}

type ArgName<A extends readonly Arg[]> = A[number]['name'];
/** The names of the arguments that hold CIDs (any name, where the arguments are not known). */
type CidArgName<A extends readonly Arg[]> = Extract<A[number], { readonly cid: CidKind }>['name'] | (string extends ArgName<A> ? string : never);
/** An argument, then keys into it: where a method's `cloud_properties` are. */
type ArgPath<A extends readonly Arg[]> = readonly [ArgName<A>, ...string[]];

/** Which backend serves a call. */
export type Route<A extends readonly Arg[] = readonly Arg[]> =
  /** None: the core answers, from the config alone. */
  | { readonly by: 'core'; answer(scope: CoreScope): unknown }
  /** The backend of the CID in this argument (every part of a composite stemcell CID); `whenNull` where it is null. */
  | { readonly by: 'cid'; readonly arg: CidArgName<A>; readonly whenNull?: Route<A> }
  /** `backend` in these cloud_properties, else default_backend. */
  | { readonly by: 'cloud_properties'; readonly path: ArgPath<A> }
  /** Every backend whose stemcell formats fit these cloud_properties; their CIDs make one composite stemcell CID. */
  | { readonly by: 'stemcell_formats'; readonly path: ArgPath<A> }
  | { readonly by: 'default_backend' }
  | { readonly by: 'legacy_backend' };

/** How a backend method takes the arguments: one after another, or as one object of camel-cased names. */
export type Params = 'positional' | 'request';
/** Whether a backend may leave the method out, and what the core then answers. */
type Absence = 'required' | 'NotImplemented' | 'NotSupported';

export interface MethodSpec<
  A extends readonly Arg[] = readonly Arg[],
  R extends Result = Result,
  RT extends Route<A> = Route<A>,
  P extends Params = Params,
  X extends Absence = Absence,
> {
  readonly args: A;
  readonly versions: readonly ApiVersion[];
  readonly route: RT;
  /** How the backend method takes the arguments (not for route `core`). */
  readonly params: P;
  readonly absent: X;
  readonly result: R;
  /** What is being done, with the director's CIDs, for messages ("Creating VM for agent 'a-1'"). */
  doing?(args: NamedArgs<A>): string;
}

export function method<
  const A extends readonly Arg[],
  const RT extends Route<A>,
  R extends Result = NothingResult,
  P extends Params = 'positional',
  X extends Absence = 'required',
>(spec: {
  args: A;
  versions?: readonly ApiVersion[];
  route: RT;
  params?: P;
  absent?: X;
  result?: R;
  doing?(args: NamedArgs<A>): string;
}): MethodSpec<A, R, RT, P, X> {
  return { versions: [1, 2, 3], params: 'positional' as P, absent: 'required' as X, result: nothing as R, ...spec };
}

// Types read off the table.

type WithCids<T, C> = T extends string ? C : T extends readonly (infer E)[] ? readonly WithCids<E, C>[] : T;

/** An argument's value as the director sends it: CIDs are proxy CIDs of the argument's kind. */
type DirectorValue<A> =
  A extends Arg<string, infer T, infer K, unknown, infer S>
    ? (K extends CidKind ? WithCids<T, ProxyCid<K>> : T) | (S extends ApiVersion ? undefined : never)
    : never;

/** An argument's value as a backend gets it: native CIDs; null becomes `orElse`, else undefined; absent, undefined. */
type BackendValue<A> =
  A extends Arg<string, infer T, infer K, infer E, infer S>
    ? S extends ApiVersion
      ? Native<T, K> | undefined
      : null extends T
        ? Exclude<Native<T, K>, null> | (E extends undefined ? undefined : never)
        : Native<T, K>
    : never;
type Native<T, K> = K extends CidKind ? WithCids<T, NativeCid<K>> : T;

/** The arguments by name, as the director sent them. */
type NamedArgs<A extends readonly Arg[]> = { readonly [X in A[number] as X['name']]: DirectorValue<X> };

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
export type CamelCase<S extends string> = Camel<S>;

/** The one object a `request` backend method takes: the arguments by camel-cased name. */
type BackendRequest<A extends readonly Arg[]> = { readonly [X in A[number] as Camel<X['name']>]: BackendValue<X> };
type Positional<A extends readonly Arg[]> = { -readonly [I in keyof A]: BackendValue<A[I]> };

export type ParamsOf<S extends MethodSpec> =
  S extends MethodSpec<infer A> ? (S['params'] extends 'request' ? [request: BackendRequest<A>] : Positional<A>) : never;

type PartValue<P> =
  P extends CidPart<infer K, infer L, infer O>
    ? L extends true
      ? readonly NativeCid<K>[]
      : O extends true
        ? NativeCid<K> | undefined
        : NativeCid<K>
    : P extends ValuePart<infer T>
      ? T
      : never;

// biome-ignore lint/suspicious/noConfusingVoidType: what a backend method of no result returns (Promise<void>)
type NoResult = void;

export type ResultOf<S extends MethodSpec> =
  S['result'] extends OneResult<infer P> ? PartValue<P> : S['result'] extends PartsResult<infer P> ? { readonly [K in keyof P]: PartValue<P[K]> } : NoResult;
