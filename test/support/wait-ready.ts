import type { ChildProcess } from 'node:child_process';

/**
 * Whether the lab server `child` answers `url` with a 2xx within a minute. False when it exits
 * first (its port was taken: the labs then retry on another) or never answers (it is killed).
 */
export async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!exited) child.kill('SIGKILL');
  return false;
}
