import type { WaitOptions } from '../ironic/waiters.js';
import { DEFAULTS, type IronicContext } from '../config.js';

/**
 * Options of a wait on a node: bounded by the config's deploy or undeploy timeout (enrolling and
 * cleaning take as long as an undeploy) and by `deadline` (a `ctx.clock` time: what is left
 * of a create_vm's budget), abortable, and with a progress line on stderr per poll. A deploy also
 * ends when it stays in `wait call-back` past `deploy_callback_timeout_seconds`.
 */
export function nodeWait(
  ctx: IronicContext,
  phase: 'deploy' | 'undeploy',
  subject: { readonly node: string; readonly vm?: string },
  doing: string,
  signal: AbortSignal,
  progress: string,
  deadline?: number,
): WaitOptions {
  const seconds = phase === 'deploy' ? deployTimeoutSeconds(ctx) : (ctx.config.undeploy_timeout_seconds ?? DEFAULTS.undeployTimeoutSeconds);
  const callback = ctx.config.deploy_callback_timeout_seconds ?? DEFAULTS.deployCallbackTimeoutSeconds;
  return {
    timeoutMs: Math.min(seconds * 1000, deadline === undefined ? Infinity : deadline - ctx.clock()),
    // Quick looks first (a power change, a rebuild in a lab, end within a second), then back off.
    poll: { baseMs: 50 },
    signal,
    doing,
    clock: ctx.clock,
    sleep: ctx.sleep,
    ...(phase === 'deploy' ? { stuck: { state: 'wait call-back', ms: callback * 1000 } } : {}),
    onProgress: (p) => ctx.logger.info({ ...subject, state: p.state, elapsed_s: Math.round(p.elapsedMs / 1000) }, progress),
  };
}

export function deployTimeoutSeconds(ctx: IronicContext): number {
  return ctx.config.deploy_timeout_seconds ?? DEFAULTS.deployTimeoutSeconds;
}
