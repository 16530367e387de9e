import { nonEmptyString, object, tuple } from './common.js';

/** v3 (director v282+) adds `{"tags": {...}}` as a third argument. */
export default {
  1: tuple([nonEmptyString, object]),
  2: tuple([nonEmptyString, object]),
  3: tuple([nonEmptyString, object, object], 2),
};
