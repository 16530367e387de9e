/** Config of a `type: delegate` backend: another CPI executable (docs/config-reference.md). */
export const delegateConfigSchema = {
  type: 'object',
  required: ['type', 'command', 'stemcell_formats'],
  additionalProperties: false,
  description: 'VMs through another CPI executable (vSphere, OpenStack, AWS, ...), called with the same JSON protocol.',
  properties: {
    type: { const: 'delegate', description: '`delegate`.' },
    command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: 'The argv of the other CPI (absolute path first), run without a shell, once per call, with the request on stdin.',
    },
    api_version: {
      type: 'integer',
      minimum: 1,
      maximum: 3,
      default: 2,
      description: 'The highest CPI API version the delegate speaks; each call gets `min(requested, api_version)`.',
    },
    stemcell_formats: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description:
        'The stemcell formats the delegate accepts (what its own `info` reports, e.g. `vsphere-ova`, `vsphere-ovf`): `create_stemcell` goes to every ' +
        'backend whose formats fit.',
    },
    env: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: "Variables added to the director's PATH, TMPDIR and HOME for the delegate; nothing else of this process's environment passes.",
    },
    timeout_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Stops the delegate process (not its process group) when a call takes longer. No limit by default, as under the director.',
    },
    context: {
      type: 'object',
      description: "Keys added to the request context the delegate receives (what a cpi-config would give it); the director's own keys are never replaced.",
    },
  },
};

export default { config: { validate: delegateConfigSchema } };
