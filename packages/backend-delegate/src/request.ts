import { argsOfVersion, type ApiVersion, type CallContext, type MethodName, type MethodSpec } from '@hybrid-cpi/core';
import { forwardedText } from './forward-text.js';

/** The delegate gets the lower of the two versions; a request without one stays without one. */
export function forwardedApiVersion(requested: number | undefined, delegate: number): ApiVersion | undefined {
  return requested === undefined ? undefined : (Math.min(requested, delegate) as ApiVersion);
}

/** The director's context untouched; configured keys are added, never replacing the director's. */
export function delegateContext(ctx: CallContext, additions: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return { ...ctx.context, ...contextAdditions(ctx, additions) };
}

function contextAdditions(ctx: CallContext, additions: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(additions ?? {}).filter(([key]) => !Object.hasOwn(ctx.context, key)));
}

/** One call to the delegate: the method, its arguments as a director sends them (native CIDs), the version it gets. */
export interface DelegatedCall {
  readonly method: MethodName;
  readonly spec: MethodSpec;
  readonly args: readonly unknown[];
  readonly apiVersion: ApiVersion | undefined;
}

/**
 * What the delegate reads on stdin. The director's own request, where this call is the one it
 * asked for, with only the CIDs and the API-version rules changed; else (a rollback the core
 * runs, a direct call) the request a director would send, written from the method table.
 */
export function delegateRequest(ctx: CallContext, call: DelegatedCall, additions: Readonly<Record<string, unknown>> | undefined): string {
  const { method, spec, args, apiVersion } = call;
  // The core gives the director's request to the backend call that serves it; a backend method
  // called with that context for another method (by a wrapper, say) writes its own.
  if (ctx.directorRequest !== undefined && ctx.method === method) {
    return forwardedText(ctx.directorRequest, { spec, args, apiVersion, contextAdditions: contextAdditions(ctx, additions) });
  }
  // A v2 CPI fails on a third create_stemcell argument (Ruby: ArgumentError; bosh-cpi-go refuses v3).
  const sent = args.slice(0, argsOfVersion(spec, apiVersion ?? 1).length);
  return serializeRequest(method, sent, delegateContext(ctx, additions), apiVersion);
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
