/** Config of a `type: delegate` backend: another CPI executable (DESIGN.md §8). */
export const delegateConfigSchema = {
  type: 'object',
  required: ['type', 'command', 'stemcell_formats'],
  additionalProperties: false,
  properties: {
    type: { const: 'delegate' },
    /** argv of the CPI, run without a shell. */
    command: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    /** The highest CPI API version the delegate speaks (default 2, what current CPIs report). */
    api_version: { type: 'integer', minimum: 1, maximum: 3 },
    stemcell_formats: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    /** Variables added to the director's PATH, TMPDIR and HOME. */
    env: { type: 'object', additionalProperties: { type: 'string' } },
    /** Stops the delegate process (not its process group) when a call takes longer; no limit by default, as under the director. */
    timeout_seconds: { type: 'number', exclusiveMinimum: 0 },
    /** Keys added to the request context the delegate receives; the director's own keys are never replaced. */
    context: { type: 'object' },
  },
};

export default { config: { validate: delegateConfigSchema } };
