/** The request envelope (docs/architecture.md#the-protocol). Unknown top-level keys are ignored. */
export default {
  type: 'object',
  required: ['method'],
  properties: {
    method: { type: 'string', minLength: 1 },
    arguments: { type: 'array' },
    context: { type: 'object' },
    api_version: { type: 'integer' },
  },
};
