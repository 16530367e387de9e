/**
 * The top level of the config file (docs/architecture.md#the-config-file). Each backend's own keys are checked by the
 * schema of its module; here only `type` is required of them. `description` and `default` are
 * annotations (ajv ignores them without `useDefaults`): docs/config-reference.md is generated
 * from them by scripts/config-reference.mjs.
 */
export const BACKEND_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';

export const coreConfigSchema = {
  type: 'object',
  required: ['backends'],
  additionalProperties: false,
  properties: {
    default_backend: {
      type: 'string',
      pattern: BACKEND_NAME_PATTERN,
      description:
        'The backend of `create_vm` and `create_disk` when neither a VM nor `cloud_properties.backend` decides, and of ' +
        '`calculate_vm_cloud_properties`. Required when there is more than one backend; a single backend is the default.',
    },
    legacy_backend: {
      type: 'string',
      pattern: BACKEND_NAME_PATTERN,
      description:
        'The owner of CIDs without a configured `<backend>:` prefix: a director that switches from a single CPI to this one keeps its VMs, disks and ' +
        'stemcells. Without it, such a CID is a `CpiError`.',
    },
    log_level: {
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: "The level of the JSON log lines written to stderr (the director copies them into the task's CPI log).",
    },
    plugin_paths: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description:
        'Directories where npm packages of third-party backend types are installed (each holds a `node_modules`). They are searched in order, then ' +
        "the config file's own directory. A relative path is relative to the config file's directory.",
    },
    agent: {
      type: 'object',
      additionalProperties: false,
      description: 'Settings put into the agent settings of every bare-metal server (backends that start agents themselves: `ironic`).',
      properties: {
        mbus: {
          type: 'string',
          minLength: 1,
          description: "The director's NATS URL, the agent's `mbus` (`env.bosh.mbus` of `create_vm`, when the director sends it, wins inside the agent).",
        },
        ntp: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'NTP servers for the agent (`env.bosh.ntp` wins).' },
        blobstore: {
          type: 'object',
          required: ['provider'],
          additionalProperties: false,
          description: "The director's blobstore, the agent's `blobstore` (`env.bosh.blobstores` wins).",
          properties: {
            provider: { type: 'string', minLength: 1, description: 'The blobstore provider (`dav`, `s3`, `gcs`, ...).' },
            options: { type: 'object', description: 'Provider options, passed to the agent as they are (`endpoint`, `user`, `password`, TLS settings, ...).' },
          },
        },
      },
    },
    backends: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: BACKEND_NAME_PATTERN },
      description:
        'Backend name → its section. Names match `^[a-z][a-z0-9_-]{0,31}$` and become the prefix of every CID the backend makes: never rename a ' +
        'backend that owns resources.',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        description: 'One backend; its other keys are those of its type (below).',
        properties: {
          type: {
            type: 'string',
            minLength: 1,
            description: 'A built-in type (`ironic`, `delegate`, `memory`) or the name of an npm package that default-exports a backend module.',
          },
        },
      },
    },
  },
} as const;
