/** The request envelope (reference/bosh-cpi.md §1.3). Unknown top-level keys are ignored. */
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
