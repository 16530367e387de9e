/** Config of a `type: memory` backend. */
export const memoryConfigSchema = {
  type: 'object',
  required: ['type', 'stemcell_formats'],
  additionalProperties: false,
  properties: {
    type: { const: 'memory' },
    stemcell_formats: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    /** Keeps the state in this JSON file so that it outlives one CPI process (demos, e2e tests). */
    state_file: { type: 'string', minLength: 1 },
  },
} as const;
