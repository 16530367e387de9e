// docs/config-reference.md is generated from the config schemas (scripts/config-reference.mjs):
// it must match what the schemas say now, and say something about every key.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_FILE, REFRESH_COMMAND, loadSections, renderConfigReference } from '../../scripts/config-reference.mjs';

/** Every property path of a schema, through if/then variants and `additionalProperties` maps. */
function keysOf(schema: Record<string, unknown>, prefix = ''): string[] {
  const keys: string[] = [];
  const properties = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, child] of Object.entries(properties)) {
    if (Object.keys(child).length === 0) continue; // the `type: {}` placeholder of a `then`
    const at = prefix === '' ? key : `${prefix}.${key}`;
    keys.push(at, ...keysOf(child, at));
    for (const part of (child['allOf'] ?? []) as { then?: Record<string, unknown> }[]) if (part.then) keys.push(...keysOf(part.then, at));
    const map = child['additionalProperties'];
    if (typeof map === 'object' && map !== null && 'properties' in map) keys.push(...keysOf(map as Record<string, unknown>, `${at}.<name>`));
  }
  return keys;
}

describe('docs/config-reference.md', () => {
  it('is what the schemas generate now', async () => {
    const expected = await renderConfigReference();
    const current = fs.existsSync(REFERENCE_FILE) ? fs.readFileSync(REFERENCE_FILE, 'utf8') : '(missing)';
    expect(current === expected, `docs/config-reference.md is stale: run \`${REFRESH_COMMAND}\` and commit the result`).toBe(true);
  });

  it('has a row for every key of every schema, built-in backends included', async () => {
    const text = await renderConfigReference();
    const sections = await loadSections();
    expect(sections.map((s) => s.title)).toEqual(['Top level', '`type: ironic`', '`type: delegate`', '`type: memory`']);
    for (const section of sections) {
      const body = text.slice(text.indexOf(`## ${section.title}`)).split('\n## ')[0]!;
      const keys = keysOf(section.schema);
      expect(keys.length).toBeGreaterThan(2);
      for (const key of keys) expect(body, `${section.title}: ${key}`).toContain(`| \`${key}\` |`);
    }
    // Spot checks against the code's own defaults and requirements.
    expect(text).toContain('| `claim` | one of `auto`, `allocation`, `instance_uuid` | `auto` |  |');
    expect(text).toContain('| `deploy_timeout_seconds` | number (> 0) | `3600` |  |');
    expect(text).toContain('| `api_version` | integer (1–3) | `2` |  |');
    expect(text).toContain(
      "| `ironic.url` | string (matching `^https?://`) |  |  | Ironic's API endpoint, e.g. `http://10.0.0.5:6385`; required unless `auth` is `keystone`",
    );
    expect(text).toContain('| `image_store.path` | string (non-empty) |  | with `type: file` |');
  });
});
