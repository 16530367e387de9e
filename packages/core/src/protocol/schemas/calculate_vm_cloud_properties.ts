import { SIGNATURES } from '../signatures.js';
import { sameInAll, tuple } from './common.js';

const size = { type: 'integer', minimum: 0 };
const resources = {
  type: 'object',
  required: ['cpu', 'ram', 'ephemeral_disk_size'],
  properties: { cpu: size, ram: size, ephemeral_disk_size: size },
};

export default sameInAll(SIGNATURES.calculate_vm_cloud_properties.versions, tuple([resources]));
