import type { ElastiCacheSettings } from './elasticache';
import type { RdsSettings } from './emulators';
import type { RuntimeFunction } from './runtime/functions';
import type { LocalIdentity } from './types';

export interface LocalCloudOptions {
  /** Edge port on 127.0.0.1; default 4566 (`startLocalCloud`) or 0 = a free port (`spawnLocalCloud`). */
  port?: number;
  /** Resource name prefix (`resourceNames(prefix)`); default `rewind-local`. */
  prefix?: string;
  /** The default account and region (unsigned requests, and access keys that name no account). */
  identity?: Partial<LocalIdentity>;
  /**
   * Access key id -> account id, for several accounts (`edge/identity.ts`). Without it, an access key of
   * 12 digits is that account, and any other key the default account.
   */
  accounts?: Record<string, string>;
  /** One log line per edge request. */
  verbose?: boolean;
  /** No log line per invocation. */
  quiet?: boolean;
  /** Create the topology's resources at start (default true). */
  provision?: boolean;
  /**
   * Rewind installed in several accounts (cross-account replication, docs/replication.md): each install
   * has its own table, bus, queues, rules and schedules in its account, its functions run with that
   * account's roles, and the replication policies of the policy file wire the buses to each other.
   * Default: one install, in the default account (`identity.accountId`).
   */
  installs?: RewindInstall[];
  /** Run the function runtime (default true). */
  functions?: boolean;
  /** Include the functions of `topology.services` (default true; those whose handler cannot be loaded are skipped). */
  topologyFunctions?: boolean;
  /** More functions for the runtime, e.g. test fixtures. */
  extraFunctions?: RuntimeFunction[];
  /** Set into process.env for handlers (once, at start). */
  env?: Record<string, string>;
  /**
   * IAM in the loop (default on): each function runs with its own role's credentials and the edge
   * evaluates its requests against the policies the deployment generates; other callers are administrators.
   */
  iam?: boolean;
  /**
   * Keep the emulators' state (SQS/SNS, DynamoDB, EventBridge, RDS, KMS; every account and region) in this directory: loaded at start,
   * saved every `saveIntervalMs` and at stop. Without it everything is lost when the cloud stops.
   */
  stateDir?: string;
  /** How often the state is saved while running (default 1000 ms): what a crash can lose. */
  saveIntervalMs?: number;
  /** RDS emulator settings: `profile` ('realistic' | 'instant' | durations), `timeScale`, `seed`, throttle, quirks. */
  rds?: RdsSettings;
  /** ElastiCache emulator settings: `profile`, `timeScale` (default: the RDS time scale), `seed`. */
  elasticache?: ElastiCacheSettings;
  runtime?: {
    visibilityTimeoutSeconds?: number;
    pollWaitSeconds?: number;
    /**
     * How the runtime reaches SQS: 'in-process' (default: fauxqs's SQS API without HTTP, the fastest) or
     * 'http' (SDK requests through the edge, as with `--endpoint`).
     */
    transport?: 'in-process' | 'http';
  };
}

/** One account's Rewind on the local cloud. */
export interface RewindInstall {
  /** The account it is installed in (12 digits). */
  accountId: string;
  /** Its resource name prefix; default the cloud's `prefix` (replication forwards to the same bus name). */
  prefix?: string;
  /** More environment for this install's functions (after the generated one). */
  env?: Record<string, string>;
}

export const DEFAULT_IDENTITY: LocalIdentity = { accountId: '000000000000', region: 'us-east-1' };
export const DEFAULT_PORT = 4566;
export const DEFAULT_PREFIX = 'rewind-local';
