// Just enough of the BOSH ops-file format to apply examples/bosh-deployment and examples/create-env
// to a manifest shaped like bosh-deployment's bosh.yml: `((variables))` interpolated, `replace`
// ops on paths of keys, `name=` selectors and `-` (append), `?` creating what is missing.
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

type Node = Record<string, unknown> | unknown[];

/** Applies the `replace` ops to `manifest`, changed in place. */
export function applyOps(manifest: Record<string, unknown>, ops: readonly Op[]): void {
  for (const op of ops) {
    if (op.type !== 'replace') throw new Error(`ops of type ${op.type} are not supported here (${op.path})`);
    const segments = op.path.split('/').slice(1);
    let node: Node = manifest;
    segments.forEach((raw, i) => {
      const last = i === segments.length - 1;
      const optional = raw.endsWith('?');
      const segment = optional ? raw.slice(0, -1) : raw;
      const value = last ? structuredClone(op.value) : undefined;
      if (Array.isArray(node)) {
        const array: unknown[] = node;
        if (segment === '-') {
          if (!last) throw new Error(`'-' must end the path: ${op.path}`);
          array.push(value);
          return;
        }
        const [key, wanted] = segment.split('=') as [string, string | undefined];
        let index = wanted === undefined ? Number(key) : array.findIndex((e) => (e as Record<string, unknown>)?.[key] === wanted);
        if (index === -1) {
          if (!optional) throw new Error(`no element with ${segment} at ${op.path}`);
          array.push(last ? value : { [key]: wanted });
          index = array.length - 1;
        }
        if (last) array[index] = value;
        else node = array[index] as Node;
        return;
      }
      if (last) node[segment] = value;
      else {
        if (node[segment] === undefined) {
          if (!optional && !segments.slice(i + 1).some((s) => s.endsWith('?'))) throw new Error(`no key ${segment} at ${op.path}`);
          node[segment] = /^(\d+|-|\w+=.*)\??$/.test(segments[i + 1]!) ? [] : {};
        }
        node = node[segment] as Node;
      }
    });
  }
}

/** The properties of the instance group `name` (bosh-deployment's is `bosh`). */
export function instanceGroupProperties(manifest: Record<string, unknown>, name = 'bosh'): Record<string, unknown> {
  const group = (manifest['instance_groups'] as { name: string; properties: Record<string, unknown> }[]).find((g) => g.name === name);
  if (group === undefined) throw new Error(`the manifest has no instance group ${name}`);
  return group.properties;
}
