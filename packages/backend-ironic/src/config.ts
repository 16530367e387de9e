import type { BackendConfig, Logger, BackendName } from '@hybrid-cpi/core';
import type { IronicConnectionConfig } from './ironic/connect.js';
import type { Dispatcher } from 'undici';
import type { Clock, Sleep } from './ironic/backoff.js';
import type { IronicClient } from './ironic/client.js';

export interface IronicConfig extends BackendConfig {
  readonly type: 'ironic';
  /** `url` is required unless Keystone's catalog (or a clouds.yaml cloud) gives it. */
  readonly ironic: IronicConnectionConfig;
  /** How nodes are claimed: the Allocation API when the server has it (`auto`), or always one way. */
  readonly claim?: 'auto' | 'allocation' | 'instance_uuid';
  /** Only this shard's nodes are listed, claimed and enrolled (Ironic API 1.82). */
  readonly shard?: string;
  readonly deploy_timeout_seconds?: number;
  readonly deploy_callback_timeout_seconds?: number;
  readonly undeploy_timeout_seconds?: number;
  readonly max_deploy_attempts?: number;
  readonly quarantine_after?: number;
  readonly max_concurrent_deploys?: number;
  readonly failure_domain?: FailureDomainConfig;
  readonly image_store?: { readonly type: 'webdav' | 'file'; readonly [key: string]: unknown };
  readonly ssh_public_keys?: readonly string[];
  readonly nameservers?: readonly string[];
}

/** What names a node's failure domain (see placement/domains.ts). */
export interface FailureDomainConfig {
  readonly property?: string;
  readonly trait_prefix?: string;
  readonly lldp?: boolean;
}

/**
 * The config's top-level `agent` section (BackendDeps.agent), which the core validates against its
 * schema (packages/core/src/config/core-schema.ts) and passes on without reading: what the agent
 * of every node gets.
 */
export interface AgentConfig {
  readonly mbus?: string;
  readonly ntp?: readonly string[];
  readonly blobstore?: { readonly provider: string; readonly options?: Readonly<Record<string, unknown>> };
}

export const DEFAULTS = {
  deployTimeoutSeconds: 3600,
  deployCallbackTimeoutSeconds: 1800,
  undeployTimeoutSeconds: 3600,
  maxDeployAttempts: 3,
  quarantineAfter: 2,
  maxConcurrentDeploys: 20,
  systemDisk: '/dev/sda',
  ephemeralDisk: '/dev/sdb',
} as const;

/** What every method of one backend instance shares. */
export interface IronicContext {
  readonly name: BackendName;
  readonly config: IronicConfig;
  readonly agent: AgentConfig | undefined;
  readonly client: IronicClient;
  readonly logger: Logger;
  /** The monotonic clock and the sleep of every wait and back-off (BackendDeps.seams; real ones by default). */
  readonly clock: Clock;
  readonly sleep: Sleep;
  /** The HTTP dispatcher of the seams, for the image store (the client has it already); unset in production. */
  readonly httpDispatcher?: Dispatcher;
  /** Whether claims use the Allocation API (decided once per process, from config or the server's version). */
  useAllocations(signal?: AbortSignal): Promise<boolean>;
}
