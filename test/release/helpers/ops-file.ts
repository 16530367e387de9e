// Just enough of the BOSH ops-file format to apply examples/bosh-deployment to the director's
// instance-group properties: `((variables))` interpolated, `replace` ops on plain key paths.
import fs from 'node:fs';
import YAML from 'yaml';

export interface Op {
  type: string;
  path: string;
  value?: unknown;
}

export function readOps(file: string, variables: Record<string, string>): Op[] {
  // Each variable is a whole YAML value here; JSON strings are valid YAML scalars.
  const text = fs.readFileSync(file, 'utf8').replace(/\(\(([\w.-]+)\)\)/g, (_, name: string) => {
    if (!(name in variables)) throw new Error(`${file} uses the variable ${name}, which the test does not set`);
    return JSON.stringify(variables[name]);
  });
  return YAML.parse(text) as Op[];
}

const PROPERTIES = '/instance_groups/name=bosh/properties/';

/** Applies the ops on the bosh instance group's properties to `properties` (changed in place). */
export function applyPropertyOps(properties: Record<string, unknown>, ops: Op[]): void {
  for (const op of ops) {
    if (op.type !== 'replace' || !op.path.startsWith(PROPERTIES)) continue;
    const keys = op.path.slice(PROPERTIES.length).split('/').map((k) => k.replace(/\?$/, ''));
    const last = keys.pop()!;
    let node = properties;
    for (const key of keys) {
      if (node[key] === undefined) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[last] = op.value;
  }
}
