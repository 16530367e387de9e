// docs/config-reference.md from the JSON Schemas the config is validated with: every key, its
// type, default, whether it is required, and its `description`. The schema modules are TypeScript,
// imported through scripts/import-ts.mjs, as scripts/build.mjs does for the validators.
//
//   node scripts/config-reference.mjs           writes docs/config-reference.md
//   node scripts/config-reference.mjs --check   exits 1 when the checked-in file is stale
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTsDefault } from './import-ts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REFERENCE_FILE = path.join(root, 'docs/config-reference.md');
export const REFRESH_COMMAND = 'npm run docs:config';

/** Each section: a TS module whose default export is `{ <file>: { validate: schema } }`, and where its schema is. */
const SECTIONS = [
  { title: 'Top level', module: 'packages/core/src/config/schemas.ts', pick: (m) => m.core.validate, scope: 'the config file' },
  {
    title: '`type: ironic`',
    module: 'packages/backend-ironic/src/config-schema.ts',
    pick: (m) => m.config.validate,
    scope: '`backends.<name>` of `type: ironic`',
  },
  {
    title: '`type: delegate`',
    module: 'packages/backend-delegate/src/config-schema.ts',
    pick: (m) => m.config.validate,
    scope: '`backends.<name>` of `type: delegate`',
  },
  {
    title: '`type: memory`',
    module: 'packages/backend-memory/src/config-schema.ts',
    pick: (m) => m.config.validate,
    scope: '`backends.<name>` of `type: memory`',
  },
];

/** The schemas of every section, as the validators are compiled from them. */
export async function loadSections() {
  const modules = new Map();
  const sections = [];
  for (const section of SECTIONS) {
    if (!modules.has(section.module)) modules.set(section.module, await importTsDefault(path.join(root, section.module)));
    sections.push({ ...section, schema: section.pick(modules.get(section.module)) });
  }
  return sections;
}

const code = (v) => `\`${v}\``;
const escapeCell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** A value as an operator would write it in YAML flow style. */
function yamlish(value) {
  if (Array.isArray(value)) return `[${value.map(yamlish).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${yamlish(v)}`)
      .join(', ')}}`;
  return String(value);
}

function typeOf(schema) {
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum !== undefined) return `one of ${schema.enum.map(code).join(', ')}`;
  const constraints = [];
  if (schema.pattern !== undefined) constraints.push(`matching ${code(schema.pattern)}`);
  if (schema.minimum !== undefined && schema.maximum !== undefined) constraints.push(`${schema.minimum}–${schema.maximum}`);
  else if (schema.minimum !== undefined) constraints.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) constraints.push(`> ${schema.exclusiveMinimum}`);
  if (schema.minLength === 1) constraints.push('non-empty');
  if (schema.minItems === 1 || schema.minProperties === 1) constraints.push('at least one');
  let type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  if (type === 'array') {
    const item = schema.items ?? {};
    type = `list of ${item.type === 'string' && item.minLength === 1 && Object.keys(item).length === 2 ? 'non-empty strings' : typeOf(item)}`;
  } else if (type === 'object' && typeof schema.additionalProperties === 'object' && schema.properties === undefined) {
    type = schema.additionalProperties.properties === undefined ? `map of name to ${typeOf(schema.additionalProperties)}` : 'map of name to object';
  }
  return constraints.length === 0 ? type : `${type} (${constraints.join(', ')})`;
}

/**
 * One row per key, depth first. `when` is the condition of an `if`/`then` variant (`type: webdav`).
 * Every key must have a description: the reference documents every key, so an undocumented one
 * fails here (and the staleness test with it).
 */
function rows(schema, prefix, when, out) {
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (when !== undefined && key === 'type' && Object.keys(child).length === 0) continue; // `then`'s placeholder
    const at = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof child.description !== 'string' || child.description === '') throw new Error(`config-reference: ${at} has no description in its schema`);
    let description = child.description;
    const variants = variantsOf(child);
    for (const v of variants) description += ` With ${code(`type: ${v.type}`)}: ${v.then.description}`;
    out.push({
      key: at,
      type: typeOf(child),
      default: child.default === undefined ? '' : code(yamlish(child.default)),
      required: required.has(key) ? (when === undefined ? 'yes' : `with ${code(when)}`) : '',
      description: when === undefined ? description : `(${code(when)}) ${description}`,
    });
    rows(child, at, when, out);
    for (const v of variants) rows(v.then, at, `type: ${v.type}`, out);
    const map = child.additionalProperties;
    if (typeof map === 'object' && map !== null && map.properties !== undefined) {
      const entry = `${at}.<name>`;
      out.push({ key: entry, type: typeOf(map), default: '', required: '', description: map.description ?? '' });
      rows(map, entry, when, out);
    }
  }
  return out;
}

/** `allOf: [{if: {properties: {type: {const: X}}}, then}]`: the keys that apply to one `type`. */
function variantsOf(schema) {
  return (schema.allOf ?? []).flatMap((part) => {
    const type = part.if?.properties?.type?.const;
    return type === undefined || part.then === undefined ? [] : [{ type, then: part.then }];
  });
}

function table(list) {
  const lines = ['| Key | Type | Default | Required | Description |', '| --- | --- | --- | --- | --- |'];
  for (const r of list)
    lines.push(`| ${code(r.key)} | ${escapeCell(r.type)} | ${escapeCell(r.default)} | ${escapeCell(r.required)} | ${escapeCell(r.description)} |`);
  return lines.join('\n');
}

/** The whole of docs/config-reference.md. */
export async function renderConfigReference() {
  const parts = [
    '# Config reference',
    '',
    `<!-- Generated by scripts/config-reference.mjs from the config schemas; do not edit. After changing a schema, run \`${REFRESH_COMMAND}\`. -->`,
    '',
    '`hybrid-cpi --config FILE` reads this file as JSON (what the BOSH job renders) or YAML. Every key below is validated;',
    'an unknown key, a missing required one or a wrong type is an error that names the key path, and all of them are',
    'reported at once. The same schemas are compiled into the validators the executable runs, so this page cannot',
    'disagree with them. Keys of a backend section depend on its `type`; third-party types document their own.',
    '"Required" is within the key\'s parent: `agent.blobstore.provider` is required when there is an `agent.blobstore`.',
    '',
  ];
  for (const section of await loadSections()) {
    parts.push(`## ${section.title}`, '');
    parts.push(`Keys of ${section.scope}.${section.schema.description === undefined ? '' : ` ${section.schema.description}`}`, '');
    parts.push(table(rows(section.schema, '', undefined, [])), '');
  }
  return parts.join('\n');
}

// Run as a script (not imported by the staleness test).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await renderConfigReference();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(REFERENCE_FILE) ? fs.readFileSync(REFERENCE_FILE, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${path.relative(root, REFERENCE_FILE)} is stale: run \`${REFRESH_COMMAND}\`\n`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(REFERENCE_FILE, text);
    process.stderr.write(`wrote ${path.relative(root, REFERENCE_FILE)}\n`);
  }
}
