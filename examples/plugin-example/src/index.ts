// The package's default export: the descriptor the core loads when a config names
// `type: hybrid-cpi-backend-example`. Keep this file light: `info` and every call to another
// backend load it too, and only `create` needs the backend itself.
import { BACKEND_CONTRACT, type BackendConfig, type BackendModule } from '@hybrid-cpi/core';

/** The config section this backend takes (`backends.<name>`), as the schema below checks it. */
export interface ExampleConfig extends BackendConfig {
  readonly type: typeof TYPE;
  readonly directory: string;
  readonly stemcell_formats: readonly string[];
}

/** Must equal the package name: the core resolves `type` as an npm package and checks it. */
export const TYPE = 'hybrid-cpi-backend-example';

const exampleModule: BackendModule<ExampleConfig> = {
  type: TYPE,
  contract: BACKEND_CONTRACT,
  // Compiled by the core when the config is loaded; errors name the key path
  // (`backends.demo.directory: is required`).
  configSchema: {
    type: 'object',
    required: ['type', 'directory', 'stemcell_formats'],
    additionalProperties: false,
    properties: {
      type: { const: TYPE, description: `\`${TYPE}\`.` },
      directory: { type: 'string', minLength: 1, description: 'Where the records live; every CPI process of the director shares it.' },
      stemcell_formats: {
        type: 'array',
        minItems: 1,
        items: { type: 'string', minLength: 1 },
        description: 'The stemcell formats this backend accepts (`<infrastructure>-<disk_format>`).',
      },
    },
  },
  stemcellFormats: (config) => config.stemcell_formats,
  create: async (config) => {
    const { DirectoryBackend } = await import('./backend.js');
    return new DirectoryBackend(config.directory);
  },
  // What `hybrid-cpi doctor` checks, loaded only by the operator commands.
  operator: async () => (await import('./operator.js')).exampleOperator,
};
export default exampleModule;
