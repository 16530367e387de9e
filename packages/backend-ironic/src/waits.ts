import type { WaitOptions } from './ironic/waiters.js';
import { DEFAULTS, type IronicContext } from './config.js';

/**
 * Options of a wait on a node: bounded by the config's deploy or undeploy timeout (enrolling and
 * cleaning take as long as an undeploy), abortable, and with a progress line on stderr per poll.
 */
export function nodeWait(
  ctx: IronicContext,
  phase: 'deploy' | 'undeploy',
  subject: { readonly node: string; readonly vm?: string },
  doing: string,
  signal: AbortSignal,
  progress: string,
): WaitOptions {
  const seconds = phase === 'deploy' ? (ctx.config.deploy_timeout_seconds ?? DEFAULTS.deployTimeoutSeconds) : (ctx.config.undeploy_timeout_seconds ?? DEFAULTS.undeployTimeoutSeconds);
  return {
    timeoutMs: seconds * 1000,
    // Quick looks first (a power change, a rebuild in a lab, end within a second), then back off.
    poll: { baseMs: 50 },
    signal,
    doing,
    onProgress: (p) => ctx.logger.info({ ...subject, state: p.state, elapsed_s: Math.round(p.elapsedMs / 1000) }, progress),
  };
}
