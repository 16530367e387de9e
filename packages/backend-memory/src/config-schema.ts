/** Config of a `type: memory` backend. */
export const memoryConfigSchema = {
  type: 'object',
  required: ['type', 'stemcell_formats'],
  additionalProperties: false,
  description: 'VMs, disks and stemcells that are only records: for demos and tests.',
  properties: {
    type: { const: 'memory', description: '`memory`.' },
    stemcell_formats: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: 'The stemcell formats it accepts (`<infrastructure>-<disk_format>`, or `<infrastructure>-light`), as `info` reports them.',
    },
    state_file: {
      type: 'string',
      minLength: 1,
      description:
        'Keeps the records in this JSON file so that they outlive one CPI process (demos, e2e tests). Without it they live in the process only. A ' +
        "relative path is relative to the config file's directory.",
    },
  },
} as const;

export default { config: { validate: memoryConfigSchema } };
