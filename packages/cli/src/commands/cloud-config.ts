import { didYouMean, type Secrets } from '@hybrid-cpi/core';
import fs from 'node:fs';
import { learnSecrets } from './load-config.js';

export type Properties = Readonly<Record<string, unknown>>;

/** An entry of a cloud-config section: a name and its cloud_properties. */
export interface Named {
  readonly name: string;
  readonly cloud_properties: Properties;
}

export interface DiskType extends Named {
  readonly disk_size?: number;
}

/** The parts of a BOSH cloud-config that routing and node choice depend on. */
export interface CloudConfig {
  readonly azs: readonly Named[];
  readonly vm_types: readonly Named[];
  readonly vm_extensions: readonly Named[];
  readonly disk_types: readonly DiskType[];
  readonly networks: readonly Named[];
}

const SECTIONS = ['azs', 'vm_types', 'vm_extensions', 'disk_types', 'networks'] as const;

/** A cloud-config that cannot be read; `problems` are one per line, with key paths. */
export class CloudConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid cloud-config ${file}:\n- ${problems.join('\n- ')}`);
  }
}

/** Reads and checks a cloud-config (YAML, or JSON, which YAML reads too). */
export async function readCloudConfig(file: string): Promise<CloudConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CloudConfigError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  const YAML = await import('yaml');
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new CloudConfigError(
      file,
      doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]} at line ${text.slice(0, e.pos[0]).split('\n').length}`),
    );
  }
  return checkShape(file, doc.toJS());
}

function checkShape(file: string, raw: unknown): CloudConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CloudConfigError(file, ['(top level): must be a mapping with azs, vm_types, disk_types, ...']);
  const problems: string[] = [];
  const sections: Record<string, Named[]> = {};
  for (const section of SECTIONS) {
    const list = (raw as Record<string, unknown>)[section];
    sections[section] = [];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      problems.push(`${section}: must be a list`);
      continue;
    }
    const seen = new Set<string>();
    for (const [i, item] of (list as unknown[]).entries()) {
      const at = `${section}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push(`${at}: must be a mapping`);
        continue;
      }
      const entry = item as Record<string, unknown>;
      if (typeof entry['name'] !== 'string' || entry['name'] === '') {
        problems.push(`${at}.name: is required (a string)`);
        continue;
      }
      if (seen.has(entry['name'])) problems.push(`${at}.name: '${entry['name']}' is used twice in ${section}`);
      seen.add(entry['name']);
      const props = entry['cloud_properties'] ?? {};
      if (typeof props !== 'object' || props === null || Array.isArray(props)) {
        problems.push(`${at}.cloud_properties: must be a mapping`);
        continue;
      }
      sections[section]!.push({ ...entry, name: entry['name'], cloud_properties: props as Properties });
    }
  }
  if (problems.length > 0) throw new CloudConfigError(file, problems);
  return sections as unknown as CloudConfig;
}

/**
 * The cloud_properties create_vm receives for a vm_type in an AZ: the director merges the AZ's
 * under the vm_type's (the vm_type wins a key both have).
 */
export function vmProperties(vmType: Named, az: Named | undefined): Properties {
  return { ...(az?.cloud_properties ?? {}), ...vmType.cloud_properties };
}

/**
 * The AZ named by `--az`; without it, the only AZ, or none when there are no AZs. Several AZs
 * and no choice is a question only the operator can answer.
 */
export function chooseAz(cloud: CloudConfig, name: string | undefined): { az: Named | undefined } | { error: string } {
  if (name !== undefined) {
    const az = cloud.azs.find((a) => a.name === name);
    const names = cloud.azs.map((a) => a.name);
    return az === undefined ? { error: `the cloud-config has no AZ '${name}' (it has ${names.join(', ') || 'none'})${didYouMean(name, names)}` } : { az };
  }
  if (cloud.azs.length > 1) return { error: `the cloud-config has ${cloud.azs.length} AZs (${cloud.azs.map((a) => a.name).join(', ')}): choose one with --az` };
  return { az: cloud.azs[0] };
}

/** The cloud-config, with its secret-keyed values learnt into `secrets`; or its problems, one per line. */
export async function loadCloudConfig(file: string, secrets: Secrets): Promise<{ cloud: CloudConfig } | { problems: readonly string[] }> {
  try {
    const cloud = await readCloudConfig(file);
    learnSecrets(cloud, secrets);
    return { cloud };
  } catch (error) {
    if (!(error instanceof CloudConfigError)) throw error;
    return { problems: error.problems };
  }
}
