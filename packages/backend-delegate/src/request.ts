import type { CallContext, MethodName, NativeCid } from '@hybrid-cpi/core';

/** One call to the delegate, as a backend method describes it. */
export interface DelegatedCall {
  readonly method: MethodName;
  /**
   * The arguments built from the backend method's parameters. Used when the director did not send
   * this call itself: a rollback the core runs inside another method, or the conformance suite.
   */
  readonly args: readonly unknown[];
  /** Native CIDs by argument position, replacing the director's prefixed ones. */
  readonly cids?: Readonly<Record<number, NativeCid | readonly NativeCid[] | undefined>>;
}

/** The delegate gets the lower of the two versions; a request without one stays without one. */
export function forwardedApiVersion(requested: number | undefined, delegate: number): number | undefined {
  return requested === undefined ? undefined : Math.min(requested, delegate);
}

/**
 * The arguments the delegate receives: the director's own, with only the CIDs replaced, so the
 * delegate sees what a director talking to it directly would send.
 */
export function delegateArguments(ctx: CallContext, call: DelegatedCall, apiVersion: number | undefined): unknown[] {
  const forwardsDirector = ctx.method === call.method && ctx.rawArguments.length >= call.args.length;
  const args = forwardsDirector ? [...ctx.rawArguments] : [...call.args];
  if (forwardsDirector) {
    for (const [index, native] of Object.entries(call.cids ?? {})) {
      const i = Number(index);
      // A null vm_cid or disk_cids stays null: only CIDs that were sent are replaced.
      if (native !== undefined && args[i] !== null && args[i] !== undefined) args[i] = native;
    }
  }
  // A v2 CPI fails on a third create_stemcell argument (Ruby: ArgumentError; bosh-cpi-go refuses v3).
  if (call.method === 'create_stemcell' && (apiVersion ?? 1) < 3) args.length = Math.min(args.length, 2);
  return args;
}

/** The director's context untouched; configured keys are added, never replacing the director's. */
export function delegateContext(ctx: CallContext, additions: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const context: Record<string, unknown> = { ...ctx.context };
  for (const [key, value] of Object.entries(additions ?? {})) if (!Object.hasOwn(context, key)) context[key] = value;
  return context;
}

/** The request JSON, compact and in the director's key order (method, arguments, context, api_version). */
export function serializeRequest(
  method: MethodName,
  args: readonly unknown[],
  context: Readonly<Record<string, unknown>>,
  apiVersion: number | undefined,
): string {
  const envelope: Record<string, unknown> = { method, arguments: args, context };
  if (apiVersion !== undefined) envelope['api_version'] = apiVersion;
  return JSON.stringify(envelope);
}
