// Between the director's form of a call and a backend's, as the method table describes each
// method: arguments to a backend method's parameters and back, a backend's result to the
// director's and back. CIDs are left to the caller (the core prefixes them, the delegate needs
// none).
import { CID_KINDS } from '../cid/types.js';
import type { ApiVersion, Arg, CidPart, MethodSpec, Part } from './method-spec.js';

const A_CID = 'a CID (a non-empty string)';
const A_LIST = 'a list of CIDs';

export function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The arguments a request of this API version carries (create_stemcell's v3 tags not before v3). */
export function argsOfVersion(spec: MethodSpec, version: ApiVersion): readonly Arg[] {
  return spec.args.filter((a) => a.since === undefined || a.since <= version);
}

/** A backend method's parameters from the arguments (CIDs already native): null becomes `orElse`, else undefined. */
export function backendParams(spec: MethodSpec, args: readonly unknown[]): unknown[] {
  const values = spec.args.map((a, i) => args[i] ?? a.orElse);
  return spec.params === 'request' ? [Object.fromEntries(spec.args.map((a, i) => [camelCase(a.name), values[i]]))] : values;
}

/**
 * The arguments of a backend method's parameters, as a director would send them: undefined is
 * null, or left out where the argument is optional (create_stemcell's tags).
 */
export function directorArguments(spec: MethodSpec, params: readonly unknown[]): unknown[] {
  const request = params[0] as Readonly<Record<string, unknown>> | undefined;
  const values = spec.args.map((a, i) => (spec.params === 'request' ? request?.[camelCase(a.name)] : params[i]));
  while (values.length > 0 && values.at(-1) === undefined && spec.args[values.length - 1]?.since !== undefined) values.pop();
  return values.map((v) => v ?? null);
}

/** What a part is called in messages ("VM CID", "disk hint"). */
export function partName(part: Part): string {
  return isCidPart(part) ? `${CID_KINDS[part.cid]} CID` : part.check.name;
}

export function isCidPart(part: Part): part is CidPart {
  return 'cid' in part;
}

/** How the core makes the director's form of a result's parts. */
export interface ResultWrapper {
  /** One CID of a CID part, prefixed. */
  cid(part: CidPart, native: unknown): string;
  /** A value that is not what its part must be (`name`, as messages call it; `expected`, what it must be). */
  invalid(name: string, expected: string, value: unknown): never;
}

/** A backend's result as the director of this API version takes it. */
export function resultToWire(spec: MethodSpec, value: unknown, version: ApiVersion, wrap: ResultWrapper): unknown {
  const { result } = spec;
  switch (result.kind) {
    case 'nothing':
      return null;
    case 'one':
      return result.since !== undefined && version < result.since ? null : partToWire(result.part, value, wrap);
    case 'parts': {
      const named = Object.entries(result.parts);
      const record = (value ?? {}) as Readonly<Record<string, unknown>>;
      if (result.bareBefore !== undefined && version < result.bareBefore) return partToWire(named[0]![1], record[named[0]![0]], wrap);
      return named.map(([name, part]) => partToWire(part, record[name], wrap));
    }
  }
}

function partToWire(part: Part, value: unknown, wrap: ResultWrapper): unknown {
  if (!isCidPart(part)) return part.check.accepts(value) ? value : wrap.invalid(part.check.name, part.check.expected, value);
  if (part.list) return Array.isArray(value) ? value.map((v) => wrap.cid(part, v)) : wrap.invalid(partName(part), A_LIST, value);
  return part.nullable && (value === undefined || value === null) ? null : wrap.cid(part, value);
}

/** The CIDs in a backend's result of things it made, each with the method that deletes it again. */
export function createdCids(spec: MethodSpec, value: unknown): { readonly undo: string; readonly native: string }[] {
  const { result } = spec;
  const found: [Part, unknown][] =
    result.kind === 'one'
      ? [[result.part, value]]
      : result.kind === 'parts'
        ? Object.entries(result.parts).map(([name, part]) => [part, (value as Readonly<Record<string, unknown>> | undefined)?.[name]])
        : [];
  return found.flatMap(([part, native]) => (isCidPart(part) && part.undo !== undefined && typeof native === 'string' ? [{ undo: part.undo, native }] : []));
}

/** How a backend that forwards calls reads another CPI's answer. */
export interface WireReader {
  /** The API version the answer was asked in. */
  readonly answered: ApiVersion;
  /** The API version of the request the answer serves. */
  readonly needed: ApiVersion;
  /** The call's argument of this name. */
  argument(name: string): unknown;
  /** The answer, or a part of it, is not what the method returns. */
  unexpected(value: unknown, expected: string): never;
  /** An answer of the older version lacks a part the request's version needs. */
  missing(part: Part, since: ApiVersion): never;
}

/** Another CPI's result (its CIDs native) as a backend method's result. */
export function resultFromWire(spec: MethodSpec, wire: unknown, reader: WireReader): unknown {
  const { result } = spec;
  switch (result.kind) {
    case 'nothing':
      return undefined;
    case 'one': {
      const { part, since } = result;
      if (since === undefined || reader.answered >= since || (!isCidPart(part) && part.check.accepts(wire))) return partFromWire(part, wire, reader);
      // A CPI of an older version answers nothing here.
      if (reader.needed >= since) reader.missing(part, since);
      return isCidPart(part) ? undefined : part.check.none;
    }
    case 'parts': {
      const named = Object.entries(result.parts);
      let items: readonly unknown[];
      if (Array.isArray(wire) && wire.length > 0) items = wire;
      else if (result.bareBefore !== undefined && !Array.isArray(wire)) items = [wire];
      else return reader.unexpected(wire, `[${named.map(([name, part]) => (isCidPart(part) ? partName(part) : name)).join(', ')}]`);
      return Object.fromEntries(named.map(([name, part], i) => [name, partFromWire(part, items[i], reader)]));
    }
  }
}

function partFromWire(part: Part, wire: unknown, reader: WireReader): unknown {
  const value = wire ?? null;
  if (isCidPart(part)) {
    const native = (v: unknown) => (typeof v === 'string' && v !== '' ? v : reader.unexpected(v, A_CID));
    if (part.list) return Array.isArray(value) ? value.map(native) : reader.unexpected(value, A_LIST);
    return part.nullable && value === null ? undefined : native(value);
  }
  if (part.check.accepts(value)) return value;
  return part.orArgument === undefined ? reader.unexpected(value, part.check.expected) : reader.argument(part.orArgument);
}
