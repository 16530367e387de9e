import type { BackendConfig } from '@hybrid-cpi/core';

export interface DelegateConfig extends BackendConfig {
  readonly type: 'delegate';
  readonly command: readonly string[];
  readonly api_version?: 1 | 2 | 3;
  readonly stemcell_formats: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeout_seconds?: number;
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * The API version a delegate speaks unless the config says otherwise: 2 is what every current
 * CPI reports (OpenStack, vSphere, every bosh-cpi-go CPI), and bosh-cpi-go refuses 3.
 */
export const DEFAULT_DELEGATE_API_VERSION = 2;
