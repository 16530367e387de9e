// Watches one Ironic node for as long as a test runs, polling it every few milliseconds, and
// records every change of what the disk invariant is about: the provision state, the claim
// (`instance_uuid`), the power state, and the BOSH disks and marks in `extra`.
import type { IronicLab } from './ironic-lab.js';
import { api } from './ironic-nodes.js';

export interface NodeSample {
  /** Milliseconds since the watch started. */
  readonly at: number;
  readonly provision_state: string;
  readonly target_provision_state: string | null;
  readonly instance_uuid: string | null;
  readonly power_state: string | null;
  readonly target_power_state: string | null;
  /** Ids of the live disks in `extra.bosh_disks`. */
  readonly disks: readonly string[];
  readonly vm: string | null;
  readonly parked: boolean;
}

export interface NodeWatch {
  /** Every sample that differed from the one before. */
  readonly samples: readonly NodeSample[];
  stop(): Promise<readonly NodeSample[]>;
}

export function watchNode(lab: IronicLab, uuid: string, everyMs = 10): NodeWatch {
  const samples: NodeSample[] = [];
  const started = performance.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const node = await api(lab, 'GET', `/v1/nodes/${uuid}`).catch(() => undefined);
      if (node !== undefined) {
        const sample: NodeSample = {
          at: Math.round(performance.now() - started),
          provision_state: node.provision_state,
          target_provision_state: node.target_provision_state,
          instance_uuid: node.instance_uuid,
          power_state: node.power_state,
          target_power_state: node.target_power_state,
          disks: Object.keys(node.extra?.bosh_disks ?? {}).sort(),
          vm: node.extra?.bosh_vm?.cid ?? null,
          parked: node.extra?.bosh_parked !== undefined,
        };
        const last = samples.at(-1);
        if (last === undefined || JSON.stringify({ ...last, at: 0 }) !== JSON.stringify({ ...sample, at: 0 })) samples.push(sample);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/**
 * What breaks the invariant of a node holding live disks: it is unclaimed, being cleaned or being
 * undeployed. (`available` and claimed is a node reserved by create_disk without a VM; a node
 * whose disks were made next to a VM never shows `available`: tests check that on its own.) One
 * line per offending sample.
 */
export function invariantBreaks(samples: readonly NodeSample[]): string[] {
  return samples
    .filter((s) => s.disks.length > 0 && (s.instance_uuid === null || ['cleaning', 'clean wait', 'deleting'].includes(s.provision_state)))
    .map(
      (s) =>
        `at ${s.at} ms: ${s.provision_state}${s.target_provision_state ? ` -> ${s.target_provision_state}` : ''}, ` +
        `instance_uuid ${s.instance_uuid ?? 'none'}, disks ${s.disks.join(',')}`,
    );
}

/** The provision states seen, in order, without repeats. */
export function statesSeen(samples: readonly NodeSample[]): string[] {
  return samples.map((s) => s.provision_state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}
