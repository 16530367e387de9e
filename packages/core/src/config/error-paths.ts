import type { ConfigValidationError } from '../backend/module.js';
import { didYouMean } from '../errors/did-you-mean.js';

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

/**
 * One line per problem, each starting with the key path it is about. With the `schema` the errors
 * come from, an unknown key is matched against the keys allowed there ("did you mean").
 */
export function describeConfigErrors(errors: readonly ConfigValidationError[], base = '', schema?: object): string[] {
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
      case 'additionalProperties': {
        const key = String(p['additionalProperty']);
        lines.add(`${join(at, key)}: is not a known key${didYouMean(key, knownKeys(schema, error.schemaPath))}`);
        break;
      }
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

/** The keys the schema object holding `schemaPath`'s keyword allows (none when unknown). */
function knownKeys(schema: object | undefined, schemaPath: string | undefined): string[] {
  if (schema === undefined || schemaPath === undefined || !schemaPath.startsWith('#/')) return [];
  let node: unknown = schema;
  for (const part of schemaPath.split('/').slice(1, -1)) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
  }
  const properties = typeof node === 'object' && node !== null ? (node as { properties?: unknown }).properties : undefined;
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
}
