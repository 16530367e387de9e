export { BOSH_ERROR_TYPES, RETRIABLE_TYPES, isBoshErrorType, type BoshErrorType } from './types.js';
export { CATALOGUE, type ErrorCode } from './catalogue.js';
export { CpiError, isCpiError, fail } from './cpi-error.js';
export { classify, knownType, messageOf, type WireError } from './classify.js';
export { closest, didYouMean } from './did-you-mean.js';
