import type { AddressKind, ResourceAddress } from '../contracts/address';
import type { EventName } from '../contracts/events';
import type { Kind, RunBlock, RunStrategy, RunTask, StepName } from '../contracts/run';
import type { ClusterConfig } from '../rds/clusterConfig';
import type { InstanceConfig } from '../rds/configCapture';
import type { DrLayer } from '../policies/drPlans';

/** Kinds of RDS resources a run can wait on. */
export type ResourceKind = Kind | 'snapshot' | 'cluster-snapshot' | 'global-replication-group';

export type RunStatus = 'running' | 'rolling-back' | 'completed' | 'failed' | 'rollback-failed' | 'rejected';
export const RUN_STATUSES: readonly RunStatus[] = [
  'running',
  'rolling-back',
  'completed',
  'failed',
  'rollback-failed',
  'rejected',
];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'rollback-failed', 'rejected'];

/** What a step is waiting for: a resource reaching a state before a deadline. */
export interface Expectation {
  step: StepName;
  resourceKind: ResourceKind;
  resourceName: string;
  /** e.g. "available", "deleted", "renamed". */
  target: string;
  /** ISO time after which the step fails. */
  deadline: string;
  startedAt: string;
  /** Sequence number of the live deadline-check chain; older check messages are dropped. */
  checks: number;
  /** Sequence number the chain's backoff counts from (a probe that starts a new operation restarts it). */
  backoffFrom?: number;
  /** Whether the RDS call that starts the operation was accepted. */
  acted?: boolean;
  /** Consecutive describe calls that saw the target state (a rename needs two). */
  confirmations?: number;
  /** Extra facts the step needs to confirm completion (e.g. rename: the old name). */
  context?: Record<string, string>;
  /** A phased step: the phase under way, the operations of it already sent, the resources watched. */
  phase?: { index: number; sent: string[]; watch: string[] };
}

/** The configuration a run captured from the original: an instance's or a cluster's. */
export type CapturedConfig = InstanceConfig | ClusterConfig;

/** Names a run invents (or chose, for the snapshot to restore from). */
export interface RunNames {
  /** What the original is renamed to while the restore runs. */
  temporary?: string;
  /** The snapshot the run creates. */
  snapshot?: string;
  /** The snapshot the restore uses. */
  restoreFrom?: string;
  /** A copy restored beside the original (swap). */
  staging?: string;
  /** The final snapshot of the set-aside original, taken when it is deleted. */
  finalSnapshot?: string;
}

/**
 * A restore from a database's automated backups instead of a snapshot: the source by its resource id
 * (it survives the set-aside rename), the time as requested (ISO 8601, or "latest").
 */
export interface PointInTime {
  time: string;
  sourceIdentifier: string;
  sourceResourceId: string;
}

/** What a run created or renamed (by name), and the resource ids of what it created. */
export interface RunResources {
  original?: string;
  snapshot?: string;
  setAside?: string;
  restored?: string;
  /** Resource ids (DbiResourceId / DbClusterResourceId) the restore calls returned, by identifier. */
  createdIds?: Record<string, string>;
}

/** A lock a run holds besides its database's (a DR run: one per resource address it moves). */
export interface LockRef {
  kind: AddressKind;
  identifier: string;
  /** `addressScope` of the resource's address ('' at home). */
  scope: string;
}

/** Where a DR resource stood when its run was accepted (the primary it moves away from). */
export interface DrOrigin {
  /** The region of the primary (writer cluster, replica source, primary replication group). */
  region: string;
  /** Its id there, and its ARN when RDS gave one. */
  id: string;
  arn?: string;
  /** The ARN of the target (Aurora wants it as an ARN). */
  targetArn?: string;
}

/** What a DR run moves (services/failover): the plan's layers, the direction and mode, and the origins. */
export interface DrRunState {
  plan: string;
  direction: 'failover' | 'failback';
  mode: 'planned' | 'unplanned';
  layers: DrLayer[];
  /** By `resourceKey`: where each resource stood at intake. */
  origins: Record<string, DrOrigin>;
  requestedBy?: string;
}

export interface RunRecord {
  runId: string;
  /** What the run reads from, and what it changes (equal for an in-place restore). Absent on runs of older versions and rejections. */
  source?: ResourceAddress;
  target?: ResourceAddress;
  identifier: string;
  kind: Kind;
  task: RunTask;
  strategy: RunStrategy;
  run: RunBlock;
  status: RunStatus;
  /** Incremented by every advancing write; writes are conditional on it. */
  version: number;
  request: Record<string, unknown>;
  requestId?: string;
  replayOf?: string;
  /** Names invented for this run. */
  names: RunNames;
  /** A point-in-time restore: where and when from (instead of `names.restoreFrom`). */
  pointInTime?: PointInTime;
  /** A clone: the source database (never touched); `identifier` is the new database. */
  cloneOf?: string;
  /** Configuration captured from the original at intake: an instance's or a cluster's, as `kind` says (see `instanceConfigOf`, `clusterConfigOf`). */
  config?: CapturedConfig;
  expectation?: Expectation | null;
  /** The step that failed, the reason, and where compensation stands. */
  failure?: { step: StepName; reason: string; errorCode?: string } | null;
  warnings: string[];
  /** Resources this run created or renamed, so nothing unrecorded is ever deleted. */
  resources: RunResources;
  rejection?: { code: string; reason: string };
  /** Events written with the state change that produced them and not yet confirmed published. */
  /** Events written with a state change and not yet known to be published (`at`: when written). */
  outbox?: { name: string; detail: Record<string, unknown>; at?: string }[];
  /** Locks held besides `LOCK#<kind>#<identifier>`, released with it when the run ends. */
  locks?: LockRef[];
  /** A DR run: what it moves. */
  dr?: DrRunState;
  createdAt: string;
  updatedAt: string;
}

export interface LogEntry {
  runId: string;
  at: string;
  direction: 'in' | 'out' | 'note';
  type: EventName | string;
  summary?: string;
  detail?: unknown;
  source?: string;
}

export interface LockRecord {
  kind: AddressKind;
  identifier: string;
  runId: string;
  acquiredAt: string;
}

export interface ResourceIndexRecord {
  kind: ResourceKind;
  name: string;
  /** `addressScope` of the resource's address: '' (or absent) at home. */
  scope?: string;
  runId: string;
  step: StepName;
  expiresAt: number;
}
