import { SIGNATURES } from '../signatures.js';
import { cid, nonEmptyString, nullable, object, sameInAll, tuple } from './common.js';

const networks = { type: 'object', additionalProperties: { type: 'object' } };

export default sameInAll(
  SIGNATURES.create_vm.versions,
  tuple([nonEmptyString, cid, object, networks, nullable({ type: 'array', items: cid }), nullable(object)]),
);
