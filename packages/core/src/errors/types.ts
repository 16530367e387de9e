/**
 * The ten error types the director knows (`KNOWN_RPC_ERRORS` in the director's external_cpi.rb).
 * Any other type becomes a fatal `UnknownError` on the director side, so nothing else may reach
 * stdout.
 */
export const BOSH_ERROR_TYPES = [
  'Bosh::Clouds::CpiError',
  'Bosh::Clouds::NotSupported',
  'Bosh::Clouds::NotImplemented',
  'Bosh::Clouds::CloudError',
  'Bosh::Clouds::VMNotFound',
  'Bosh::Clouds::NetworkNotFound',
  'Bosh::Clouds::NoDiskSpace',
  'Bosh::Clouds::DiskNotAttached',
  'Bosh::Clouds::DiskNotFound',
  'Bosh::Clouds::VMCreationFailed',
] as const;

export type BoshErrorType = (typeof BOSH_ERROR_TYPES)[number];

/** Types the director builds from `ok_to_retry` (its RetriableCloudError family). */
export const RETRIABLE_TYPES: ReadonlySet<BoshErrorType> = new Set([
  'Bosh::Clouds::NoDiskSpace',
  'Bosh::Clouds::DiskNotAttached',
  'Bosh::Clouds::DiskNotFound',
  'Bosh::Clouds::VMCreationFailed',
]);

export function isBoshErrorType(value: unknown): value is BoshErrorType {
  return typeof value === 'string' && (BOSH_ERROR_TYPES as readonly string[]).includes(value);
}
