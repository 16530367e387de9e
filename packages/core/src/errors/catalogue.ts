import type { BoshErrorType } from './types.js';

/**
 * Every error the proxy itself raises, by stable code. `docs/errors.md` documents each code and a
 * unit test keeps the two in step.
 */
export const CATALOGUE = {
  CPX_REQUEST_EMPTY: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'stdin held no request' },
  CPX_REQUEST_JSON: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'stdin is not valid JSON' },
  CPX_REQUEST_SHAPE: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'the request envelope is malformed' },
  CPX_METHOD_UNKNOWN: { type: 'Bosh::Clouds::NotImplemented', retry: false, summary: 'no such CPI method' },
  CPX_API_VERSION: { type: 'Bosh::Clouds::NotImplemented', retry: false, summary: 'the requested api_version is not supported' },
  CPX_ARGUMENTS: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'the arguments do not fit the method' },
  CPX_CONFIG: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'the config file is missing, unreadable or invalid' },
  CPX_BACKEND_LOAD: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'a backend module could not be loaded' },
  CPX_BACKEND_UNKNOWN: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'cloud_properties name a backend that is not configured' },
  CPX_CID_UNKNOWN_BACKEND: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'a CID has no configured backend prefix and there is no legacy_backend' },
  CPX_CID_MALFORMED: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'a CID cannot be decoded' },
  CPX_CID_TOO_LONG: { type: 'Bosh::Clouds::CloudError', retry: false, summary: 'a CID would exceed 255 characters' },
  CPX_ROUTE_MISMATCH: { type: 'Bosh::Clouds::CloudError', retry: false, summary: 'the CIDs of one call belong to different backends' },
  CPX_STEMCELL_NO_BACKEND: { type: 'Bosh::Clouds::CloudError', retry: false, summary: 'no configured backend accepts the stemcell' },
  CPX_STEMCELL_NOT_FOUND: { type: 'Bosh::Clouds::CloudError', retry: false, summary: 'the stemcell does not exist in the backend' },
  CPX_NOT_IMPLEMENTED: { type: 'Bosh::Clouds::NotImplemented', retry: false, summary: 'the backend does not implement this optional method' },
  CPX_NOT_SUPPORTED: { type: 'Bosh::Clouds::NotSupported', retry: false, summary: 'the backend does not support this operation' },
  CPX_VM_NOT_FOUND: { type: 'Bosh::Clouds::VMNotFound', retry: false, summary: 'the VM does not exist' },
  CPX_VM_CREATION_FAILED: { type: 'Bosh::Clouds::VMCreationFailed', retry: false, summary: 'create_vm failed and was rolled back' },
  CPX_DISK_NOT_FOUND: { type: 'Bosh::Clouds::DiskNotFound', retry: false, summary: 'the disk does not exist' },
  CPX_DISK_NOT_ATTACHED: { type: 'Bosh::Clouds::DiskNotAttached', retry: false, summary: 'the disk is not attached to that VM' },
  CPX_NO_DISK_SPACE: { type: 'Bosh::Clouds::NoDiskSpace', retry: false, summary: 'there is no room for the disk' },
  CPX_NETWORK_NOT_FOUND: { type: 'Bosh::Clouds::NetworkNotFound', retry: false, summary: 'the network does not exist' },
  CPX_BACKEND_FAILURE: { type: 'Bosh::Clouds::CloudError', retry: false, summary: 'the backend failed' },
  CPX_DELEGATE_CPI_ERROR: { type: 'Bosh::Clouds::CpiError', retry: false, summary: 'a delegated CPI answered CpiError' },
  CPX_INTERNAL: { type: 'Bosh::Clouds::CloudError', retry: false, summary: 'an unexpected error inside the proxy' },
} as const satisfies Record<string, { type: BoshErrorType; retry: boolean; summary: string }>;

export type ErrorCode = keyof typeof CATALOGUE;
