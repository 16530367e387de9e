import fs from 'node:fs';

export interface MemoryVm {
  agentId: string;
  stemcell: string;
  disks: string[];
  metadata: Record<string, unknown>;
  reboots: number;
}
export interface MemoryDisk {
  size: number;
  vm: string | null;
  metadata: Record<string, unknown>;
}
export interface MemoryState {
  stemcells: Record<string, { imagePath: string }>;
  vms: Record<string, MemoryVm>;
  disks: Record<string, MemoryDisk>;
  snapshots: Record<string, { disk: string }>;
}

export const emptyState = (): MemoryState => ({ stemcells: {}, vms: {}, disks: {}, snapshots: {} });

/** Where a memory backend keeps its state: in the process, or in a file shared by processes. */
export interface MemoryStore {
  update<T>(fn: (state: MemoryState) => T): T;
}

export function inProcessStore(state: MemoryState = emptyState()): MemoryStore {
  return { update: (fn) => fn(state) };
}

const LOCK_TIMEOUT_MS = 10_000;

/**
 * A JSON file guarded by an exclusive lock file, so concurrent CPI processes (the director runs
 * many) see each other's changes. Writes go through a rename and are never half done.
 */
export function fileStore(file: string): MemoryStore {
  const lock = `${file}.lock`;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  return {
    update(fn) {
      const deadline = Date.now() + LOCK_TIMEOUT_MS;
      for (;;) {
        try {
          fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          if (ownerIsGone(lock)) fs.rmSync(lock, { force: true });
          else if (Date.now() > deadline) throw new Error(`Locking memory state ${file}: still locked after ${LOCK_TIMEOUT_MS} ms`);
          else Atomics.wait(sleeper, 0, 0, 5);
        }
      }
      try {
        const state = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as MemoryState) : emptyState();
        const before = JSON.stringify(state);
        const result = fn(state);
        const after = JSON.stringify(state, null, 1);
        if (JSON.stringify(state) !== before) {
          fs.writeFileSync(`${file}.tmp`, after);
          fs.renameSync(`${file}.tmp`, file);
        }
        return result;
      } finally {
        fs.rmSync(lock, { force: true });
      }
    },
  };
}

function ownerIsGone(lock: string): boolean {
  const pid = Number(fs.readFileSync(lock, 'utf8') || NaN);
  if (!Number.isInteger(pid)) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
