import type { ConfigValidationError } from '../backend/module.js';

/** `/backends/metal/ironic` → `backends.metal.ironic`; odd keys in brackets. */
export function keyPath(base: string, pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((acc, part) => {
    if (/^\d+$/.test(part)) return `${acc}[${part}]`;
    if (!/^[A-Za-z_][\w-]*$/.test(part)) return `${acc}[${JSON.stringify(part)}]`;
    return acc === '' ? part : `${acc}.${part}`;
  }, base);
}

/** One line per problem, each starting with the key path it is about. */
export function describeConfigErrors(errors: readonly ConfigValidationError[], base = ''): string[] {
  const lines = new Set<string>();
  for (const error of errors) {
    const at = keyPath(base, error.instancePath);
    const p = error.params;
    if (error.propertyName !== undefined) {
      lines.add(`${join(at, error.propertyName)}: is not a valid name (${error.message})`);
      continue;
    }
    switch (error.keyword) {
      case 'required':
        lines.add(`${join(at, String(p['missingProperty']))}: is required`);
        break;
      case 'additionalProperties':
        lines.add(`${join(at, String(p['additionalProperty']))}: is not a known key`);
        break;
      case 'propertyNames':
        break; // reported by the keyword that failed inside it, which carries the name

      case 'enum':
        lines.add(`${at || '(top level)'}: must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
        break;
      case 'const':
        lines.add(`${at || '(top level)'}: must be ${JSON.stringify(p['allowedValue'])}`);
        break;
      case 'if':
        break;
      default:
        lines.add(`${at || '(top level)'}: ${error.message ?? error.keyword}`);
    }
  }
  return [...lines];
}

function join(path: string, key: string): string {
  return keyPath(path, `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
}
