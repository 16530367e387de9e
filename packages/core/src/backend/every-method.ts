import { camelCase } from '../protocol/backend-call.js';
import { METHOD_NAMES, METHODS, type MethodName } from '../protocol/methods.js';
import type { Backend, CallContext, ServedMethod } from './backend.js';

/** A backend with every method, none optional (a backend that forwards calls has them all). */
export type EveryMethod = Required<Omit<Backend, 'close'>>;

/** The methods a backend serves (all but those the core answers itself). */
export const SERVED_METHODS = METHOD_NAMES.filter((m): m is ServedMethod => METHODS[m].route.by !== 'core');

/**
 * A backend whose every method is served by one function, given the CPI method's name and the
 * backend method's parameters: for a backend that forwards calls, as the delegate does.
 */
export function everyMethod(serve: (method: MethodName, ctx: CallContext, params: readonly unknown[]) => Promise<unknown>): EveryMethod {
  return Object.fromEntries(
    SERVED_METHODS.map((method) => [camelCase(method), (ctx: CallContext, ...params: readonly unknown[]) => serve(method, ctx, params)]),
  ) as unknown as EveryMethod;
}
