import type { Logger } from '@hybrid-cpi/core';

export const PROGRESS_INTERVAL_MS = 5_000;

export interface Progress {
  /** Stops the periodic lines; returns the elapsed seconds and the average rate. */
  stop(): { seconds: number; mbPerS: number };
}

/**
 * Logs `uploading stemcell` with bytes, percent and the rate over the last interval, every
 * `intervalMs` until stopped: a stalled upload shows as 0 MB/s rather than as silence.
 */
export function startProgress(
  logger: Logger,
  fields: Record<string, unknown>,
  total: number,
  bytes: () => number,
  intervalMs = PROGRESS_INTERVAL_MS,
): Progress {
  const started = performance.now();
  let last = { at: started, bytes: 0 };
  const line = (): void => {
    const at = performance.now();
    const now = bytes();
    logger.info(
      {
        ...fields,
        bytes: now,
        total,
        percent: total === 0 ? 100 : Math.floor((now / total) * 1000) / 10,
        mb_per_s: rate(now - last.bytes, at - last.at),
        elapsed_s: Math.round((at - started) / 1000),
      },
      'uploading stemcell',
    );
    last = { at, bytes: now };
  };
  line();
  const timer = setInterval(line, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const ms = performance.now() - started;
      return { seconds: Math.round(ms) / 1000, mbPerS: rate(bytes(), ms) };
    },
  };
}

/** MB (10^6 bytes) per second, one decimal. */
function rate(bytes: number, ms: number): number {
  return ms <= 0 ? 0 : Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
}
