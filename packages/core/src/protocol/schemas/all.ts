// Build-time entry: every schema that becomes a standalone validator module under
// packages/core/generated/validators (file name -> export name -> schema): the envelope, and per
// method one argument list per API version, read off the method table.
import { METHOD_NAMES, methodSpec } from '../methods.js';
import { tuple, type Schema } from '../schema.js';
import envelope from './envelope.js';

const files: Record<string, Record<string, Schema<unknown>>> = { envelope: { validate: envelope } };
for (const name of METHOD_NAMES) {
  const { args, versions } = methodSpec(name);
  files[name] = Object.fromEntries(
    versions.map((v) => {
      const sent = args.filter((a) => a.since === undefined || a.since <= v);
      return [
        `v${v}`,
        tuple(
          sent.map((a) => a.schema),
          sent.filter((a) => a.since === undefined).length,
        ),
      ];
    }),
  );
}
export default files;
