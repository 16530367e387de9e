import { SIGNATURES } from '../signatures.js';
import { nonEmptyString, object, sameInAll, tuple } from './common.js';

const definition = {
  type: 'object',
  required: ['type'],
  properties: { type: nonEmptyString, cloud_properties: object },
};

export default sameInAll(SIGNATURES.create_network.versions, tuple([definition]));
