import { CpiError } from '@hybrid-cpi/core';

/** Hardware minimums of `cloud_properties.ironic_properties` (the older Python CPI's keys). */
export interface Minimums {
  readonly memory_mb?: number;
  readonly cpus?: number;
  readonly local_gb?: number;
  readonly cpu_arch?: string;
}

/** What a vm_type (merged with its AZ and extensions) asks of a node. */
export interface Requirements {
  /** Node names or UUIDs the node must be one of. */
  readonly nodes?: readonly string[];
  /** The node must own a port with one of these MACs (lower case). */
  readonly macs?: readonly string[];
  readonly minimums?: Minimums;
  readonly resourceClass?: string;
  readonly traits?: readonly string[];
  /** From the AZ's cloud_properties. */
  readonly conductorGroup?: string;
}

/** Reads and checks the selection keys of create_vm's cloud_properties. */
export function requirementsOf(props: Readonly<Record<string, unknown>>): Requirements {
  const problems: string[] = [];
  const strings = (key: string): string[] | undefined => {
    const value = props[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
      problems.push(`${key} must be a non-empty list of strings`);
      return undefined;
    }
    return value as string[];
  };
  const string = (key: string): string | undefined => {
    const value = props[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') problems.push(`${key} must be a string`);
    return typeof value === 'string' ? value : undefined;
  };
  const minimums = minimumsOf(props['ironic_properties'], problems);
  const macs = strings('macs')?.map((m) => m.toLowerCase());
  for (const m of macs ?? []) if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m)) problems.push(`macs holds '${m}', which is not a MAC address`);
  const requirements: Requirements = {
    ...optional('nodes', strings('nodes')),
    ...optional('macs', macs),
    ...optional('minimums', minimums),
    ...optional('resourceClass', string('resource_class')),
    ...optional('traits', strings('traits')),
    ...optional('conductorGroup', string('conductor_group')),
  };
  if (problems.length > 0) throw new CpiError('CPX_ARGUMENTS', `Reading the Ironic cloud_properties of create_vm: ${problems.join('; ')}`);
  return requirements;
}

function minimumsOf(value: unknown, problems: string[]): Minimums | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('ironic_properties must be an object');
    return undefined;
  }
  const result: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'cpu_arch') {
      if (typeof v === 'string') result[key] = v;
      else problems.push('ironic_properties.cpu_arch must be a string');
    } else if (['memory_mb', 'cpus', 'local_gb'].includes(key)) {
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) result[key] = v;
      else problems.push(`ironic_properties.${key} must be a non-negative number`);
    } else {
      problems.push(`ironic_properties.${key} is not one of memory_mb, cpus, local_gb, cpu_arch`);
    }
  }
  return result;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
