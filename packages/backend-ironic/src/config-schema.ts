/** Config of a `type: ironic` backend (DESIGN.md §8). */
const string = { type: 'string', minLength: 1 };
const strings = { type: 'array', items: string };

/** One `then` per auth type: exact keys, so a typo is named rather than ignored. */
const AUTH_TYPES: Record<string, { required: string[]; properties: Record<string, unknown> }> = {
  noauth: { required: [], properties: {} },
  http_basic: { required: ['username', 'password'], properties: { username: string, password: string } },
  keystone: {
    required: ['auth_url'],
    properties: {
      auth_url: string,
      username: string,
      password: string,
      user_domain_name: string,
      project_name: string,
      project_domain_name: string,
      application_credential_id: string,
      application_credential_secret: string,
      region_name: string,
      interface: { enum: ['public', 'internal', 'admin'] },
    },
  },
  clouds_yaml: { required: ['cloud'], properties: { cloud: string, file: string } },
};

const auth = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: Object.keys(AUTH_TYPES) } },
  allOf: Object.entries(AUTH_TYPES).map(([type, { required, properties }]) => ({
    if: { properties: { type: { const: type } } },
    then: { required, additionalProperties: false, properties: { type: {}, ...properties } },
  })),
};

const imageStore = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['webdav', 'file'] } },
  allOf: [
    {
      if: { properties: { type: { const: 'webdav' } } },
      then: { required: ['url'], additionalProperties: false, properties: { type: {}, url: string, username: string, password: string, ca_file: string, insecure: { type: 'boolean' } } },
    },
    {
      if: { properties: { type: { const: 'file' } } },
      then: { required: ['path', 'url'], additionalProperties: false, properties: { type: {}, path: string, url: string } },
    },
  ],
};

export const ironicConfigSchema = {
  type: 'object',
  required: ['type', 'ironic'],
  additionalProperties: false,
  properties: {
    type: { const: 'ironic' },
    ironic: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        auth,
        ca_file: string,
        cert_file: string,
        key_file: string,
        insecure: { type: 'boolean' },
      },
    },
    claim: { enum: ['auto', 'allocation', 'instance_uuid'] },
    deploy_timeout_seconds: { type: 'number', exclusiveMinimum: 0 },
    undeploy_timeout_seconds: { type: 'number', exclusiveMinimum: 0 },
    image_store: imageStore,
    ssh_public_keys: strings,
    nameservers: strings,
  },
};

export default { config: { validate: ironicConfigSchema } };
