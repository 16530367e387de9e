import type { CloudProperties } from '../backend/backend.js';
import { CID_KINDS, decodeCid, decodeStemcellCid, encodeCid, encodeStemcellCid, type BackendName, type CidKind, type NativeCid } from '../cid/index.js';
import { CpiError } from '../errors/index.js';
import { backendParams, createdCids, resultToWire } from '../protocol/backend-call.js';
import type { MethodSpec, Route } from '../protocol/method-spec.js';
import { methodSpec, type MethodName } from '../protocol/methods.js';
import type { Call } from './call.js';
import { acceptsStemcell, describeStemcell } from './stemcell-formats.js';

/**
 * Serves one request as its entry in the method table says: finds the backend(s) by the route,
 * unwraps every CID argument for it, calls its method, and wraps the result's CIDs for the
 * request's API version.
 */
export function route(call: Call): Promise<unknown> {
  return new Routing(call).serve();
}

class Routing {
  readonly #call: Call;
  readonly #spec: MethodSpec;
  readonly #args: readonly unknown[];

  constructor(call: Call) {
    this.#call = call;
    this.#spec = methodSpec(call.request.method);
    this.#args = call.request.args;
  }

  serve(route: Route = this.#spec.route): Promise<unknown> {
    const { registry } = this.#call;
    switch (route.by) {
      case 'core':
        return Promise.resolve(route.answer({ stemcellFormats: () => [...new Set(registry.names().flatMap((n) => registry.stemcellFormats(n)))] }));
      case 'cid': {
        const index = this.#index(route.arg);
        const cid = this.#args[index];
        if (cid === null && route.whenNull !== undefined) return this.serve(route.whenNull);
        const kind = this.#spec.args[index]!.cid!;
        // A stemcell CID may name a part in several backends: each is served, one after the other.
        if (kind === 'stemcell') return this.#everyPart([...decodeStemcellCid(cid as string, registry).keys()]);
        return this.#serveOn(decodeCid(cid as string, registry, `${CID_KINDS[kind]} CID`).backend, index);
      }
      case 'cloud_properties':
        return this.#serveOn(registry.fromCloudProperties(this.#at(route.path), this.#doing()));
      case 'default_backend':
        return this.#serveOn(registry.defaultBackend);
      case 'legacy_backend':
        return this.#serveOn(registry.legacyBackend ?? registry.defaultBackend);
      case 'stemcell_formats':
        return this.#everyAccepting(this.#at(route.path));
    }
  }

  /** Calls the backend with the arguments unwrapped for it, and wraps what it returns. */
  async #serveOn(name: BackendName, routedBy?: number): Promise<unknown> {
    const value = await this.#call.on(name, this.#call.request.method, backendParams(this.#spec, this.#unwrapped(name, routedBy)));
    return this.#wrap(name, value);
  }

  /**
   * The director's form of the result; should it fail (a CID too long for the director, a value
   * it cannot take), what the call made is deleted again rather than leaked.
   */
  async #wrap(name: BackendName, value: unknown): Promise<unknown> {
    const doing = this.#doing();
    try {
      return resultToWire(this.#spec, value, this.#call.request.apiVersion, {
        cid: (part, native) => encodeCid(name, this.#native(part.cid, native, name)),
        invalid: (what, expected, got) => {
          throw new CpiError('CPX_BACKEND_FAILURE', `${doing}: the backend returned ${describe(got, what, expected)}`);
        },
      });
    } catch (error) {
      for (const { undo, native } of createdCids(this.#spec, value)) await this.#undo(name, undo, native);
      throw error;
    }
  }

  /** Runs the table's `undo` method on what the call made; a failure is logged, the call's own error is what the director gets. */
  async #undo(name: BackendName, undo: string, native: string): Promise<void> {
    const method = undo as MethodName;
    await this.#call
      .on(name, method, backendParams(methodSpec(method), [native]), true)
      .catch((cause: unknown) => this.#call.logger.error({ backend: name, cid: native, err: String(cause) }, `${undo} of what the call made failed`));
  }

  /** The arguments with their CIDs native to this backend; every one must live there. */
  #unwrapped(name: BackendName, routedBy: number | undefined): unknown[] {
    return this.#spec.args.map(({ cid: kind }, i) => {
      const value = this.#args[i];
      if (kind === undefined || value === null || value === undefined) return value;
      return Array.isArray(value) ? value.map((cid: string) => this.#unwrap(kind, cid, name, routedBy)) : this.#unwrap(kind, value as string, name, routedBy);
    });
  }

  #unwrap(kind: CidKind, cid: string, name: BackendName, routedBy: number | undefined): NativeCid {
    const { registry } = this.#call;
    if (kind === 'stemcell') {
      const parts = decodeStemcellCid(cid, registry);
      const native = parts.get(name);
      if (native !== undefined) return native;
      throw new CpiError(
        'CPX_ROUTE_MISMATCH',
        `${this.#doing()} in backend '${name}': stemcell '${cid}' has no image in '${name}' (only in ${[...parts.keys()].join(', ')}); upload a stemcell ` +
          `of a format '${name}' accepts (${registry.stemcellFormats(name).join(', ')}) or use a vm_type of another backend`,
      );
    }
    const { backend, native } = decodeCid(cid, registry, `${CID_KINDS[kind]} CID`);
    if (backend === name) return native;
    if (routedBy === undefined)
      throw new CpiError('CPX_ROUTE_MISMATCH', `${this.#doing()} in backend '${name}': ${CID_KINDS[kind]} '${cid}' lives in backend '${backend}'`);
    const by = CID_KINDS[this.#spec.args[routedBy]!.cid!];
    throw new CpiError(
      'CPX_ROUTE_MISMATCH',
      `${this.#call.request.method}: ${by} '${this.#args[routedBy]}' lives in backend '${name}' but ${CID_KINDS[kind]} '${cid}' lives in backend ` +
        `'${backend}'; a ${CID_KINDS[kind]} can only be used by ${by}s of its own backend`,
    );
  }

  /** A backend's CID of the kind the table says, or the error saying what it returned instead. */
  #native(kind: CidKind, value: unknown, name: BackendName): NativeCid {
    if (typeof value === 'string' && value !== '') return value as NativeCid;
    throw new CpiError(
      'CPX_BACKEND_FAILURE',
      `${this.#doing()}: backend '${name}' returned ${describe(value, `${CID_KINDS[kind]} CID`, 'a non-empty string')}`,
    );
  }

  /** Every part of a composite stemcell CID, one after the other; the failures are reported together. */
  async #everyPart(names: readonly BackendName[]): Promise<null> {
    const failures: string[] = [];
    for (const name of names) {
      await this.#serveOn(name).catch((e: unknown) => failures.push(`${name}: ${(e as Error).message}`));
    }
    if (failures.length > 0) throw new CpiError('CPX_BACKEND_FAILURE', `${this.#doing()}: ${failures.join('; ')}`);
    return null;
  }

  /**
   * Every backend whose stemcell formats fit: each makes its part of one composite stemcell CID.
   * An upload that landed in some backends only would leave images no CID points to: they are
   * deleted again.
   */
  async #everyAccepting(props: CloudProperties): Promise<unknown> {
    const { registry } = this.#call;
    const targets = registry.names().filter((n) => acceptsStemcell(registry.stemcellFormats(n), props));
    if (targets.length === 0) {
      const accepted = registry.names().map((n) => `'${n}' accepts ${registry.stemcellFormats(n).join(', ')}`);
      throw new CpiError('CPX_STEMCELL_NO_BACKEND', `${this.#doing()}: no backend accepts a stemcell with ${describeStemcell(props)}; ${accepted.join('; ')}`);
    }
    const settled = await Promise.allSettled(
      targets.map(async (name) => {
        const value = await this.#call.on(name, this.#call.request.method, backendParams(this.#spec, this.#unwrapped(name, undefined)));
        return this.#native('stemcell', value, name);
      }),
    );
    const made = new Map<BackendName, NativeCid<'stemcell'>>();
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') made.set(targets[i]!, s.value as NativeCid<'stemcell'>);
    });
    try {
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      return encodeStemcellCid(made);
    } catch (error) {
      for (const [name, native] of made) for (const { undo } of createdCids(this.#spec, native)) await this.#undo(name, undo, native);
      throw error;
    }
  }

  #index(name: string): number {
    return this.#spec.args.findIndex((a) => a.name === name);
  }

  /** The object at an argument's path (a missing one is empty). */
  #at([name, ...keys]: readonly string[]): CloudProperties {
    let value: unknown = this.#args[this.#index(name!)];
    for (const key of keys) value = (value as Readonly<Record<string, unknown>> | undefined)?.[key];
    return (value ?? {}) as CloudProperties;
  }

  #doing(): string {
    const named = Object.fromEntries(this.#spec.args.map((a, i) => [a.name, this.#args[i]]));
    return this.#spec.doing?.(named as never) ?? this.#call.request.method;
  }
}

/** "no disk hint", or what was returned instead of what was expected. */
function describe(value: unknown, name: string, expected: string): string {
  if (value === undefined || value === null || value === '') return `no ${name}`;
  const text = JSON.stringify(value) ?? String(value);
  return `${text.length > 100 ? `${text.slice(0, 100)}…` : text}, expected ${expected}`;
}
