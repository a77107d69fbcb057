import { z } from 'zod';
import { DR_RESOURCE_TYPES, drLayersSchema } from '../policies/drPlans';
import { identifierSchema, snapshotIdentifierSchema } from './identifier';
import {
  SnapshotCopied,
  SnapshotCreated,
  SnapshotExpired,
  SnapshotExported,
  SnapshotFailed,
  SnapshotPolicyFired,
} from './lifecycle';
import {
  ReplicationCompleted,
  ReplicationFailed,
  ReplicationReceived,
  ReplicationRequested,
  ReplicationStarted,
  SnapshotShared,
} from './replication';
import {
  compensationStepSchema,
  drDirectionSchema,
  drModeSchema,
  kindSchema,
  runBlockSchema,
  stepSchema,
  strategySchema,
  taskSchema,
} from './run';

/**
 * One zod schema per event: the single source of truth for types, validation, the typed publisher,
 * and the JSON Schemas in docs/events/.
 */

/** The intake event. Trapheus's input (`identifier`, `task`, `isCluster`) is accepted unchanged. */
export const RestoreRequested = z.strictObject({
  identifier: identifierSchema.describe('DB instance or Aurora cluster identifier'),
  task: taskSchema.describe(
    'create_snapshot: snapshot then restore from it; db_restore: restore from an existing snapshot (or a point in time); create_snapshot_only; clone: restore under a new name (targetIdentifier), the source untouched',
  ),
  isCluster: z.boolean({ error: 'isCluster must be true or false' }).default(false),
  snapshotIdentifier: snapshotIdentifierSchema
    .optional()
    .describe(
      'Snapshot to restore (db_restore). Default: the newest Rewind snapshot, else <identifier>-snapshot. clone: default the newest available manual snapshot of the source',
    ),
  targetIdentifier: identifierSchema
    .optional()
    .describe(
      "clone: the new database (instance or cluster) to create with the source's configuration; it must not exist",
    ),
  restoreTime: z
    .string({ error: 'restoreTime must be a string' })
    .refine((v) => v === 'latest' || z.iso.datetime({ offset: true }).safeParse(v).success, {
      error: 'restoreTime must be an ISO 8601 timestamp with a time zone (2026-01-31T14:05:00Z) or "latest"',
    })
    .optional()
    .describe(
      'db_restore or clone from the automated backups at this time (ISO 8601) or "latest" (the latest restorable time) instead of a snapshot',
    ),
  strategy: strategySchema.default('in-place'),
  requestId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.:/-]+$/, 'requestId may contain letters, digits and . : / _ -')
    .optional()
    .describe('Idempotency key: a repeated requestId returns the existing run'),
  finalSnapshot: z
    .boolean()
    .optional()
    .describe(
      'Keep a final snapshot of the set-aside original when deleting it (default: deployment policy)',
    ),
  replayOf: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('The run this request replays (set by `rewind replay`)'),
  snapshotOf: identifierSchema
    .optional()
    .describe(
      "db_restore or clone from a snapshot known to be of another database (a replication restores a copy of its source): that database, so the run does not warn that the snapshot is another database's. Any other source is still warned about",
    ),
  acceptKmsKeyId: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .describe(
      'db_restore of an instance from a snapshot encrypted with another KMS key than the database: that key (ARN or key id), to accept that the restored database uses it. Without it such a snapshot is rejected',
    ),
});

/** An operator asks to stop a run: before the original is touched it ends; after, it is rolled back. */
export const CancelRequested = z.strictObject({
  runId: z.string().min(1).max(128).describe('The run to cancel'),
  reason: z.string().min(1).max(500).optional().describe('Why (kept in the run and its alerts)'),
  requestedBy: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Who asks (the CLI sends the caller identity or user name)'),
});

const base = { run: runBlockSchema };
const at = z.iso.datetime({ offset: true });

export const RestoreRejected = z.object({
  runId: z.string().min(1).describe('Id under which the rejection is recorded; `rewind replay` takes it'),
  identifier: z.string().optional(),
  requestId: z.string().optional(),
  code: z.enum([
    'invalid-input',
    'unknown-database',
    'not-opted-in',
    'already-running',
    'snapshot-not-found',
    'not-available',
    'unsupported',
    'incompatible-snapshot',
    'has-read-replicas',
    'target-exists',
    'outside-restorable-window',
    'internal-error',
  ]),
  reason: z.string().min(1).describe('What was wrong and how to fix it'),
  request: z
    .unknown()
    .describe(
      'The request as understood when it was valid; when it was not, the first 1,000 characters of it as JSON ({ "preview": "..." })',
    ),
});

export const RequestRepeated = z.object({
  runId: z
    .string()
    .min(1)
    .describe('The run an earlier request with this requestId started: it answers this one'),
  identifier: z.string(),
  kind: kindSchema,
  requestId: z.string(),
  status: z.string().describe('Where that run stands now'),
  startedAt: at,
});

export const CancelRefused = z.object({
  runId: z.string().min(1),
  reason: z.string().min(1).describe('Why the run cannot be cancelled now, and what to do instead'),
});

export const RunStarted = z.object({
  ...base,
  requestId: z.string().optional(),
  replayOf: z.string().optional(),
  snapshotIdentifier: z.string().optional().describe('Snapshot to restore from (db_restore) or to create'),
  restoreTime: z
    .string()
    .optional()
    .describe('Point in time restored (ISO 8601, or "latest"), instead of a snapshot'),
  cloneOf: z
    .string()
    .optional()
    .describe('clone: the source database, never touched (run.identifier is the new database)'),
  temporaryIdentifier: z.string().optional().describe('Name the original is renamed to while restoring'),
  stagingIdentifier: z
    .string()
    .optional()
    .describe('swap: name the copy is restored under beside the original, until it takes the name'),
  snapshotSource: z
    .object({
      identifier: z.string().optional(),
      resourceId: z.string().optional(),
      sameDatabase: z.boolean(),
    })
    .optional()
    .describe(
      'db_restore: the database the snapshot was taken of; sameDatabase is false for a snapshot of another database',
    ),
  warnings: z
    .array(z.string())
    .optional()
    .describe('What this restore will change that a person should know (also in the completion alert)'),
  startedAt: at,
});

export const SnapshotReady = z.object({
  ...base,
  snapshotIdentifier: z.string(),
  snapshotArn: z.string().optional(),
});

export const RenameCompleted = z.object({
  ...base,
  from: z.string(),
  to: z.string(),
  purpose: z.enum(['set-aside', 'take-name', 'rename-back']),
});

export const RestoreCompleted = z.object({
  ...base,
  snapshotIdentifier: z.string().optional().describe('The snapshot restored (absent for a point in time)'),
  restoreTime: z
    .string()
    .optional()
    .describe('The point in time restored (ISO 8601, or "latest"), instead of a snapshot'),
  endpoint: z.object({ address: z.string(), port: z.number().int().optional() }),
  appliedAfterRestore: z.array(z.string()).describe('Settings applied with a modify call after the restore'),
  stagingIdentifier: z
    .string()
    .optional()
    .describe(
      'swap (restore-beside): the copy was restored beside the original under this name; two renames give it the name next',
    ),
});

export const CleanupCompleted = z.object({
  ...base,
  deletedIdentifier: z
    .string()
    .nullable()
    .describe('The set-aside original that was deleted, or null if it remains'),
  finalSnapshotIdentifier: z.string().nullable(),
  warning: z.string().optional().describe('Set when the set-aside original could not be deleted'),
});

export const RestoreFailed = z.object({
  ...base,
  step: stepSchema.describe('The step that failed'),
  reason: z.string().min(1),
  errorCode: z.string().optional(),
  compensation: z.array(compensationStepSchema).describe('Compensation steps that will run, in order'),
});

export const DiscardCompleted = z.object({
  ...base,
  discardedIdentifier: z
    .string()
    .nullable()
    .describe('The half-restored copy that was deleted, or null if none existed'),
});

export const RollbackCompleted = z.object({
  ...base,
  failedStep: stepSchema,
  reason: z.string(),
  restoredIdentifier: z.string().describe('The original database, back under its name'),
});

export const RollbackFailed = z.object({
  ...base,
  failedStep: stepSchema,
  compensationStep: compensationStepSchema,
  reason: z.string(),
  state: z.string().describe('What state the database is in now'),
  action: z.string().describe('What a person must do'),
});

export const RunCompleted = z.object({
  ...base,
  durationMs: z.number().int().nonnegative(),
  snapshotIdentifier: z.string().optional(),
  restoreTime: z
    .string()
    .optional()
    .describe('The point in time restored (ISO 8601, or "latest"), instead of a snapshot'),
  warnings: z.array(z.string()),
});

export const RunFailed = z.object({
  ...base,
  failedStep: stepSchema,
  reason: z.string(),
  rolledBack: z.boolean().describe('True when the original is back under its name'),
  durationMs: z.number().int().nonnegative(),
});

/**
 * Disaster recovery (services/failover): move the resources of a plan, layer after layer, to their DR
 * region (failover) or back (failback).
 */
export const FailoverRequested = z
  .strictObject({
    plan: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[a-z][a-z0-9-]*$/, 'plan is a plan name: lowercase letters, digits and hyphens')
      .optional()
      .describe(
        "A plan of the configuration (drPlans.plans); default: the deployment's plan for the direction. With `layers`: the ad-hoc plan's label",
      ),
    layers: drLayersSchema
      .optional()
      .describe('An ad-hoc plan: layers (in order) of resources (in parallel), as in the configuration file'),
    mode: drModeSchema
      .default('planned')
      .describe(
        'planned: readiness checked first, no data loss (switchover); unplanned: the primary region is down, data loss allowed',
      ),
    direction: drDirectionSchema.default('failover'),
    requestId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\w.:/-]+$/, 'requestId may contain letters, digits and . : / _ -')
      .optional()
      .describe('Idempotency key: a repeated requestId starts nothing new'),
    requestedBy: z.string().min(1).max(200).optional(),
  })
  .describe("Please move a DR plan's resources");

const drResourceRef = z.object({
  layer: z.number().int().positive().describe('1-based layer of the plan'),
  type: z.enum(DR_RESOURCE_TYPES),
  id: z.string().describe('Global cluster, replica instance or global replication group id'),
  region: z.string().describe('The region the resource moves to'),
});

export const DR_OUTCOMES = ['moved', 'not-moved', 'in-progress', 'rolled-back', 'not-started'] as const;

const drResourceOutcome = drResourceRef.extend({
  outcome: z
    .enum(DR_OUTCOMES)
    .describe(
      'moved: the target is primary; rolled-back: Aurora cancelled the switchover, the old primary still is; in-progress: still moving when the run ended',
    ),
  detail: z.string().describe('What was seen: the writer, the replica status, the member roles'),
});

export const FailoverRejected = z.object({
  runId: z.string().min(1).describe('Id under which the rejection is recorded'),
  plan: z.string().optional(),
  requestId: z.string().optional(),
  code: z.enum(['invalid-input', 'unknown-plan', 'not-ready', 'already-running', 'internal-error']),
  reason: z.string().min(1).describe('What was wrong and how to fix it'),
  notReady: z
    .array(drResourceRef.extend({ reason: z.string() }))
    .optional()
    .describe('not-ready: each resource that is not ready, and why'),
});

const drRun = {
  ...base,
  plan: z.string().describe("The plan name (or the ad-hoc plan's label)"),
  direction: drDirectionSchema,
  mode: drModeSchema,
};

export const FailoverStarted = z.object({
  ...drRun,
  requestId: z.string().optional(),
  layers: z.array(z.object({ name: z.string(), resources: z.array(drResourceRef) })),
  startedAt: at,
});

export const FailoverCompleted = z.object({
  ...drRun,
  resources: z.array(drResourceOutcome),
  keptSnapshots: z
    .array(z.string())
    .describe('Manual copies of the snapshots Aurora took of the old primary after an unplanned failover'),
  warnings: z.array(z.string()),
  durationMs: z.number().int().nonnegative(),
});

export const FailoverFailed = z.object({
  ...drRun,
  failedLayer: z.number().int().positive().describe('The layer that failed; later layers never started'),
  reason: z.string().min(1),
  errorCode: z.string().optional(),
  resources: z.array(drResourceOutcome).describe('Every resource of the plan and where it stands'),
  rolledBack: z
    .boolean()
    .describe(
      'True when a planned switchover did not finish and Aurora kept (rolled back to) the old primary',
    ),
  action: z.string().describe('What to do: the exact commands'),
  durationMs: z.number().int().nonnegative(),
});

export const EVENT_SCHEMAS = {
  RestoreRequested,
  RestoreRejected,
  RequestRepeated,
  CancelRequested,
  CancelRefused,
  RunStarted,
  SnapshotReady,
  RenameCompleted,
  RestoreCompleted,
  CleanupCompleted,
  RestoreFailed,
  DiscardCompleted,
  RollbackCompleted,
  RollbackFailed,
  RunCompleted,
  RunFailed,
  SnapshotPolicyFired,
  SnapshotCreated,
  SnapshotCopied,
  SnapshotExported,
  SnapshotExpired,
  SnapshotFailed,
  FailoverRequested,
  FailoverRejected,
  FailoverStarted,
  FailoverCompleted,
  FailoverFailed,
  ReplicationRequested,
  ReplicationStarted,
  SnapshotShared,
  ReplicationReceived,
  ReplicationCompleted,
  ReplicationFailed,
} as const;

export type EventName = keyof typeof EVENT_SCHEMAS;
export const EVENT_NAMES = Object.keys(EVENT_SCHEMAS) as EventName[];

/** Validated payload (after defaults and lowercasing). */
export type EventDetail<N extends EventName> = z.output<(typeof EVENT_SCHEMAS)[N]>;
/** What a producer may send (before defaults). */
export type EventInput<N extends EventName> = z.input<(typeof EVENT_SCHEMAS)[N]>;

export interface EventDoc {
  producer: string;
  meaning: string;
}

/** Who publishes each event and what it means: printed by `rewind events` and in docs/events/. */
export const EVENT_DOCS: Record<EventName, EventDoc> = {
  RestoreRequested: { producer: 'any client', meaning: 'Please run this task' },
  RestoreRejected: {
    producer: 'restore (intake)',
    meaning:
      'Invalid input, unknown database, not opted in, already running, snapshot missing or incompatible, read replicas, a clone target that exists, a time outside the restorable window: says why',
  },
  RequestRepeated: {
    producer: 'restore (intake)',
    meaning:
      'A request repeated an accepted one (same database and requestId): names the run that answers it; nothing is started again',
  },
  CancelRequested: {
    producer: 'any client (rewind cancel)',
    meaning: 'Stop a run: before the original is touched it ends at once; after, it is rolled back',
  },
  CancelRefused: {
    producer: 'restore (intake)',
    meaning: 'A cancel that cannot apply (unknown or finished run, rollback or cleanup under way): says why',
  },
  RunStarted: { producer: 'restore (intake)', meaning: 'Run accepted; carries the plan' },
  SnapshotReady: { producer: 'snapshot', meaning: 'The snapshot is available' },
  RenameCompleted: { producer: 'rename', meaning: 'A rename finished (from, to, purpose)' },
  RestoreCompleted: {
    producer: 'restore',
    meaning:
      'The restored database is available with its configuration: under its name (in place), or beside the original under stagingIdentifier (swap)',
  },
  CleanupCompleted: {
    producer: 'cleanup',
    meaning: 'The set-aside original is deleted (final snapshot per policy)',
  },
  RestoreFailed: {
    producer: 'any step',
    meaning: 'A step failed; carries step, reason and the compensation plan',
  },
  DiscardCompleted: {
    producer: 'restore',
    meaning: 'Compensation: the half-restored copy is deleted; the original is renamed back next',
  },
  RollbackCompleted: {
    producer: 'rename / restore',
    meaning:
      'The original is back under its name (a clone: the half-made clone is deleted, the source untouched)',
  },
  RollbackFailed: {
    producer: 'rename / restore',
    meaning: 'The original is NOT back under its name: page someone',
  },
  RunCompleted: {
    producer: 'the service finishing the last step',
    meaning: 'Terminal: success; lock released',
  },
  RunFailed: { producer: 'the service finishing the last step', meaning: 'Terminal: failure; lock released' },
  SnapshotPolicyFired: {
    producer: 'EventBridge Scheduler (a snapshot policy)',
    meaning:
      'A snapshot policy fired: snapshot its databases, export, copy, apply retention (or retention only)',
  },
  SnapshotCreated: { producer: 'lifecycle', meaning: 'A policy snapshot is available' },
  SnapshotCopied: { producer: 'lifecycle', meaning: 'A policy snapshot was copied to another region' },
  SnapshotExported: { producer: 'lifecycle', meaning: 'A policy snapshot was exported to S3' },
  SnapshotExpired: {
    producer: 'lifecycle',
    meaning: 'Retention ran in a region: the snapshots deleted and those kept, each with why',
  },
  SnapshotFailed: {
    producer: 'lifecycle',
    meaning:
      'A snapshot, copy, export or retention of a policy failed (or the quota is reached): says what to do',
  },
  FailoverRequested: {
    producer: 'any client (rewind failover / failback)',
    meaning:
      "Move a DR plan's resources to their DR region (failover) or back (failback), planned or unplanned",
  },
  FailoverRejected: {
    producer: 'failover (intake)',
    meaning:
      'Invalid request, unknown plan, a resource not ready for a planned move, already moving: says why',
  },
  FailoverStarted: { producer: 'failover (intake)', meaning: 'DR run accepted; carries the layers' },
  FailoverCompleted: {
    producer: 'failover',
    meaning: 'Terminal: every resource of every layer moved; locks released',
  },
  FailoverFailed: {
    producer: 'failover',
    meaning:
      'Terminal: a resource failed; later layers never started; says what moved, what did not, and the commands',
  },
  ReplicationRequested: {
    producer: 'EventBridge Scheduler (a replication policy), or any client (rewind replicate)',
    meaning: 'Replicate a database to other accounts per a replication policy',
  },
  ReplicationStarted: {
    producer: 'replication (source account)',
    meaning: 'A replication began: the source snapshot is being taken',
  },
  SnapshotShared: {
    producer: 'replication (source account)',
    meaning:
      "A snapshot was shared with a destination account: forwarded to that account's bus, whose Rewind copies and restores it",
  },
  ReplicationReceived: {
    producer: 'replication (destination account)',
    meaning: 'The destination accepted a shared snapshot and is copying it: forwarded back to the source',
  },
  ReplicationCompleted: {
    producer: 'replication (destination account)',
    meaning:
      'Terminal: the destination database holds the source data (lineage, endpoint, secret, versions): forwarded back to the source',
  },
  ReplicationFailed: {
    producer: 'replication (either account)',
    meaning:
      'Terminal: a stage failed in the account named; says why, what was cleaned up and what to do (forwarded back to the source)',
  },
};
