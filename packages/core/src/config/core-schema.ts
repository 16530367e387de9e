/**
 * The top level of the config file (DESIGN.md §8). Each backend's own keys are checked by the
 * schema of its module; here only `type` is required of them.
 */
export const BACKEND_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';

export const coreConfigSchema = {
  type: 'object',
  required: ['backends'],
  additionalProperties: false,
  properties: {
    default_backend: { type: 'string', pattern: BACKEND_NAME_PATTERN },
    legacy_backend: { type: 'string', pattern: BACKEND_NAME_PATTERN },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    plugin_paths: { type: 'array', items: { type: 'string', minLength: 1 } },
    agent: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mbus: { type: 'string', minLength: 1 },
        ntp: { type: 'array', items: { type: 'string', minLength: 1 } },
        blobstore: {
          type: 'object',
          required: ['provider'],
          additionalProperties: false,
          properties: { provider: { type: 'string', minLength: 1 }, options: { type: 'object' } },
        },
      },
    },
    backends: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: BACKEND_NAME_PATTERN },
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', minLength: 1 } },
      },
    },
  },
} as const;
