/** Config of a `type: delegate` backend: another CPI executable (DESIGN.md §8). */
export const delegateConfigSchema = {
  type: 'object',
  required: ['type', 'command', 'stemcell_formats'],
  additionalProperties: false,
  properties: {
    type: { const: 'delegate' },
    /** argv of the CPI, run without a shell. */
    command: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    /** The highest CPI API version the delegate speaks. */
    api_version: { type: 'integer', minimum: 1, maximum: 3 },
    stemcell_formats: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    /** Variables added to the director's PATH, TMPDIR and HOME. */
    env: { type: 'object', additionalProperties: { type: 'string' } },
    /** Ends a delegate call that takes longer than this. */
    timeout_seconds: { type: 'number', exclusiveMinimum: 0 },
    /** Keys merged into the request context the delegate receives. */
    context: { type: 'object' },
  },
};

export default { config: { validate: delegateConfigSchema } };
