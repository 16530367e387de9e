import type { ConfigValidator } from '../backend/module.js';
import type { ApiVersion } from './method-spec.js';
import type { MethodName } from './methods.js';

type VersionedValidators = Readonly<Partial<Record<`v${ApiVersion}`, ConfigValidator>>>;

/**
 * The precompiled validators of one method (generated/validators/<method>.cjs, built from the
 * method table), loaded only for the method of this request: the bundler turns this pattern
 * into one lazily evaluated module per file.
 */
export async function argumentsValidator(method: MethodName, version: ApiVersion): Promise<ConfigValidator | undefined> {
  const validators = (await import(`../../generated/validators/${method}.cjs`)) as VersionedValidators;
  return validators[`v${version}`];
}

export async function envelopeValidator(): Promise<ConfigValidator> {
  return (await import('../../generated/validators/envelope.cjs')).validate;
}
