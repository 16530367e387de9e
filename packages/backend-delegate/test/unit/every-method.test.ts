// Every method of the method table, through the core's dispatch and the delegate backend to the
// fixture CPI (a real process), with the requests, the delegate's answers and the expectations all
// generated from the table alone: the arguments from their schemas and CID kinds, the answers and
// the director's results from the result descriptions. The director's request is written with
// unusual spacing, `\/` and `\u00e9` escapes and integers spelt `2048.0`; the delegate must read
// the same bytes apart from the CID strings and the API-version rules.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendRegistry,
  METHOD_NAMES,
  dispatch,
  isCidPart,
  loadConfig,
  methodSpec,
  parseRequest,
  serializeResponse,
  silentLogger,
  type ApiVersion,
  type CidKind,
  type HybridConfig,
  type MethodName,
  type MethodSpec,
  type Part,
} from '@hybrid-cpi/core';
import delegateModule from '../../src/index.js';
import { FakeCpi } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value every object schema of the table takes (metadata too: its values are scalars), and a vSphere stemcell's cloud_properties. */
const OBJECT = { infrastructure: 'vsphere', disk_format: 'ovf', cpu: 2, ratio: 1.5, note: 'café ☕ </script> "quoted" \\ back', none: null };

/** A value of a table schema: CIDs of the argument's kind in backend `vms`; `nulls`: null where the schema allows it. */
function sample(schema: Record<string, unknown>, kind: CidKind | undefined, nulls: boolean, n = 1): Json {
  if (Array.isArray(schema['anyOf'])) return nulls ? null : sample(schema['anyOf'][0], kind, nulls);
  switch (schema['type']) {
    case 'string':
      return kind === undefined ? 'agent-1' : `vms:${kind}-${n}`;
    case 'integer':
      return 2048;
    case 'array':
      return [1, 2].map((i) => sample(schema['items'] as Record<string, unknown>, kind, nulls, i));
    case 'object': {
      const properties = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
      if (properties !== undefined) return Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, sample(s, undefined, nulls)]));
      const values = schema['additionalProperties'] as Record<string, unknown> | undefined;
      return values?.['type'] === 'object' ? { default: OBJECT } : OBJECT;
    }
    default:
      throw new Error(`no sample for ${JSON.stringify(schema)}`);
  }
}

/** The arguments of a request of this version, as the table describes them. */
function sampleArguments(spec: MethodSpec, version: ApiVersion, nulls: boolean): Json[] {
  return spec.args.filter((a) => a.since === undefined || a.since <= version).map((a) => sample(a.schema, a.cid, nulls));
}

/** A result of this version as the table describes it; `cid` writes a CID of a kind. */
function sampleResult(spec: MethodSpec, version: ApiVersion, cid: (kind: CidKind) => string, nulls: boolean): Json {
  const part = (p: Part): Json => {
    if (isCidPart(p)) return p.list ? [cid(p.cid)] : p.nullable && nulls ? null : cid(p.cid);
    return [OBJECT, true].find((v) => p.check.accepts(v)) ?? null;
  };
  const { result } = spec;
  if (result.kind === 'nothing') return null;
  if (result.kind === 'one') return result.since !== undefined && version < result.since ? null : part(result.part);
  const parts = Object.values(result.parts);
  return result.bareBefore !== undefined && version < result.bareBefore ? part(parts[0]!) : parts.map(part);
}

/** JSON as no serializer of ours writes it: odd spacing, escaped `/` and non-ASCII, integers as `2048.0`. */
function unusual(value: Json | undefined): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? `${value}.0` : String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value)
      .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .replaceAll('/', '\\/');
  }
  if (Array.isArray(value)) return value.length === 0 ? '[ ]' : `[ ${value.map(unusual).join(' ,\n\t')} ]`;
  const entries = Object.entries(value ?? {});
  return entries.length === 0 ? '{ }' : `{\n  ${entries.map(([k, v]) => `${unusual(k)} :  ${unusual(v)}`).join(',\r\n  ')}\n}`;
}

/** A request in the director's key order; `version` is written as given (a spelling). */
function requestText(method: MethodName, args: Json[], version: string | undefined): string {
  const members = [`"method": ${unusual(method)}`, `"arguments" :${unusual(args)}`, `"context":${unusual(CONTEXT)}`];
  if (version !== undefined) members.push(`"api_version"  : ${version}`);
  return `  {${members.join(' , ')}}\n`;
}

const CONTEXT = { director_uuid: 'd-1', request_id: 'cpi-123456', vm: { stemcell: { api_version: 3 } } };

/** The native part of every `vms:` CID in a value. */
function natives(value: Json): Json {
  if (typeof value === 'string') return value.startsWith('vms:') ? value.slice(4) : value;
  if (Array.isArray(value)) return value.map(natives);
  return value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, natives(v)])) : value;
}

let dir: string;
const cpis = new Map<ApiVersion, FakeCpi>();
const configs = new Map<ApiVersion, HybridConfig>();
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'every-method-'));
  for (const version of [1, 2, 3] as const) {
    const cpi = new FakeCpi(version);
    cpis.set(version, cpi);
    const file = path.join(dir, `cpi-${version}.json`);
    const vms = { type: 'delegate', command: cpi.command, api_version: version, stemcell_formats: ['vsphere-ova', 'vsphere-ovf'] };
    fs.writeFileSync(file, JSON.stringify({ default_backend: 'vms', backends: { vms } }));
    configs.set(version, await loadConfig(file, { delegate: async () => delegateModule }));
  }
});
afterAll(() => {
  for (const cpi of cpis.values()) cpi.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function send(text: string, delegateVersion: ApiVersion) {
  const registry = new BackendRegistry(configs.get(delegateVersion)!, silentLogger);
  try {
    const response = await dispatch(await parseRequest(text), registry, silentLogger, new AbortController().signal);
    return JSON.parse(serializeResponse(response)) as { result: Json; error: { type: string; message: string } | null };
  } finally {
    await registry.closeAll();
  }
}

interface Case {
  method: MethodName;
  /** api_version of the request (undefined: none, which means 1). */
  requested: ApiVersion | undefined;
  /** The highest version the delegate speaks. */
  delegate: ApiVersion;
  nulls: boolean;
}

const served = METHOD_NAMES.filter((m) => methodSpec(m).route.by !== 'core');
const cases: Case[] = served.flatMap((method) =>
  [undefined, ...methodSpec(method).versions].flatMap((requested) => {
    if (requested === undefined && !methodSpec(method).versions.includes(1)) return [];
    const delegates: ApiVersion[] = requested === undefined ? [2] : requested === 3 ? [3, 2] : [requested];
    return delegates.flatMap((delegate) => [false, true].map((nulls) => ({ method, requested, delegate, nulls })));
  }),
);

describe('every method of the table, through the core and the delegate', () => {
  it.each(cases)('$method, api_version $requested, a delegate of $delegate, nulls $nulls', async ({ method, requested, delegate, nulls }) => {
    const spec = methodSpec(method);
    const version = requested ?? 1;
    const forwarded = requested === undefined ? undefined : (Math.min(requested, delegate) as ApiVersion);
    const answered = forwarded ?? 1;
    const args = sampleArguments(spec, version, nulls);
    const cpi = cpis.get(delegate)!;
    const answer = sampleResult(spec, answered, (kind) => `${kind}-9`, nulls);
    cpi.control({ mode: 'raw', stdout: JSON.stringify({ result: answer, error: null, log: '' }), methods: [method] });
    const before = cpi.calls().length;

    const response = await send(requestText(method, args, requested === undefined ? undefined : `${requested}.0`), delegate);

    expect(response.error).toBeNull();
    expect(response.result).toEqual(sampleResult(spec, version, (kind) => `vms:${kind}-9`, nulls));
    const calls = cpi.calls().slice(before);
    expect(calls).toHaveLength(1);
    // The same bytes, but for the native CIDs, the forwarded version (rewritten only where it
    // changed) and the arguments the delegate's version lacks.
    const spelt = forwarded === undefined ? undefined : forwarded === requested ? `${forwarded}.0` : String(forwarded);
    expect(calls[0]!.stdin).toBe(requestText(method, natives(sampleArguments(spec, answered, nulls)) as Json[], spelt));
  });

  it.each(
    served.filter((m) => {
      const { result } = methodSpec(m);
      return result.kind !== 'nothing' && Object.values(result.kind === 'one' ? [result.part] : result.parts).some((p) => isCidPart(p) && p.undo);
    }),
  )('%s: what the call made is deleted again when its CID is too long for the director, by a request written from the table', async (method) => {
    const spec = methodSpec(method);
    const cpi = cpis.get(2)!;
    const long = 'x'.repeat(252);
    cpi.control({ mode: 'raw', stdout: JSON.stringify({ result: sampleResult(spec, 2, () => long, false), error: null, log: '' }), methods: [method] });
    const before = cpi.calls().length;

    const response = await send(requestText(method, sampleArguments(spec, 2, false), '2'), 2);

    expect(response.error?.message).toMatch(/more than the director's limit of 255/);
    const undo = cpi.calls().slice(before)[1];
    const { result } = spec;
    const part = (result.kind === 'one' ? result.part : Object.values(result.kind === 'parts' ? result.parts : {})[0]) as { undo: string };
    expect(undo?.stdin).toBe(JSON.stringify({ method: part.undo, arguments: [long], context: CONTEXT, api_version: 2 }));
  });

  it.each(METHOD_NAMES.filter((m) => methodSpec(m).route.by === 'core'))('%s is answered by the core; the delegate hears nothing', async (method) => {
    const cpi = cpis.get(2)!;
    const before = cpi.calls().length;
    const response = await send(requestText(method, sampleArguments(methodSpec(method), 2, false), '2'), 2);
    expect(response.result !== null || response.error?.type === 'Bosh::Clouds::NotSupported').toBe(true);
    expect(cpi.calls()).toHaveLength(before);
  });
});
