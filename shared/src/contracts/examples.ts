import type { EventInput, EventName } from './events';
import type { RunBlock } from './run';

const run: RunBlock = {
  id: 'run-20261122-031500-k3j9x2qa',
  identifier: 'orders-db',
  kind: 'instance',
  task: 'create_snapshot',
  strategy: 'in-place',
  plan: ['snapshot', 'set-aside', 'restore', 'cleanup'],
  next: 'set-aside',
};
const at = (n: number) => ({ ...run, next: run.plan[n] ?? null });

const firing = {
  policy: 'orders-twice-daily',
  identifier: 'orders-db',
  kind: 'instance' as const,
  scheduledTime: '2026-11-22T12:00:00Z',
};
const policySnapshot = 'rewind-orders-twice-daily-orders-db-20261122-1200';
const replication = {
  replicationId: 'repl-orders-to-staging-20261122T030000Z',
  policy: 'orders-to-staging',
  sourceAccount: '111111111111',
};
const sourceArn = 'arn:aws:rds:us-east-1:111111111111:snapshot:rewind-repl-orders-to-staging-202611220300';
const drRun: RunBlock = {
  id: 'run-20261122-031500-d7r8f9x0',
  identifier: 'to-west',
  kind: 'cluster',
  task: 'failover',
  strategy: 'planned',
  plan: ['failover'],
  next: 'failover',
};
const drResources = [
  { layer: 1, type: 'aurora-global' as const, id: 'orders-global', region: 'us-west-2' },
  { layer: 1, type: 'rds-replica' as const, id: 'billing-west', region: 'us-west-2' },
  { layer: 2, type: 'elasticache-global' as const, id: 'ldgnf-sessions', region: 'us-west-2' },
];

/** One valid example per event: documentation (JSON Schema `examples`) and contract tests. */
export const EVENT_EXAMPLES: { [N in EventName]: EventInput<N> } = {
  RestoreRequested: { identifier: 'orders-db', task: 'create_snapshot', isCluster: false },
  RestoreRejected: {
    runId: 'run-20261122-031500-p0q1r2s3',
    identifier: 'orders-db',
    code: 'not-opted-in',
    reason: 'orders-db has no tag rewind:allow=true; add the tag to let Rewind restore it',
    request: { identifier: 'orders-db', task: 'db_restore' },
  },
  RequestRepeated: {
    runId: 'run-20261122-031500-p0q1r2s3',
    identifier: 'orders-db',
    kind: 'instance',
    requestId: 'nightly-2026-11-22',
    status: 'running',
    startedAt: '2026-11-22T03:15:00.000Z',
  },
  CancelRequested: {
    runId: 'run-20261122-031500-p0q1r2s3',
    reason: 'wrong snapshot chosen',
    requestedBy: 'alice',
  },
  CancelRefused: {
    runId: 'run-20261122-031500-p0q1r2s3',
    reason:
      'run-20261122-031500-p0q1r2s3 is rolling back: let it finish (rewind status run-20261122-031500-p0q1r2s3)',
  },
  RunStarted: {
    run: at(0),
    snapshotIdentifier: 'orders-db-rwk3j9x2qa-snapshot-20261122-031500',
    temporaryIdentifier: 'orders-db-rwk3j9x2qa-old',
    startedAt: '2026-11-22T03:15:00.000Z',
  },
  SnapshotReady: {
    run: at(1),
    snapshotIdentifier: 'orders-db-rwk3j9x2qa-snapshot-20261122-031500',
    snapshotArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:orders-db-rwk3j9x2qa-snapshot-20261122-031500',
  },
  RenameCompleted: { run: at(2), from: 'orders-db', to: 'orders-db-rwk3j9x2qa-old', purpose: 'set-aside' },
  RestoreCompleted: {
    run: at(3),
    snapshotIdentifier: 'orders-db-rwk3j9x2qa-snapshot-20261122-031500',
    endpoint: { address: 'orders-db.c9akciq32.us-east-1.rds.amazonaws.com', port: 5432 },
    appliedAfterRestore: ['MonitoringInterval', 'PreferredMaintenanceWindow'],
  },
  CleanupCompleted: {
    run: at(4),
    deletedIdentifier: 'orders-db-rwk3j9x2qa-old',
    finalSnapshotIdentifier: 'orders-db-rwk3j9x2qa-final-20261122-034000',
  },
  RestoreFailed: {
    run: { ...run, plan: [...run.plan, 'discard', 'rename-back'], next: 'discard' },
    step: 'restore',
    reason: 'restored instance orders-db ended in status incompatible-restore',
    compensation: ['discard', 'rename-back'],
  },
  DiscardCompleted: {
    run: { ...run, plan: [...run.plan, 'discard', 'rename-back'], next: 'rename-back' },
    discardedIdentifier: 'orders-db',
  },
  RollbackCompleted: {
    run: { ...run, plan: [...run.plan, 'discard', 'rename-back'], next: null },
    failedStep: 'restore',
    reason: 'restored instance orders-db ended in status incompatible-restore',
    restoredIdentifier: 'orders-db',
  },
  RollbackFailed: {
    run: { ...run, plan: [...run.plan, 'discard', 'rename-back'], next: null },
    failedStep: 'restore',
    compensationStep: 'rename-back',
    reason: 'rename of orders-db-rwk3j9x2qa-old back to orders-db did not complete before its deadline',
    state: 'the original is still named orders-db-rwk3j9x2qa-old; nothing answers at orders-db',
    action:
      'aws rds modify-db-instance --db-instance-identifier orders-db-rwk3j9x2qa-old --new-db-instance-identifier orders-db --apply-immediately',
  },
  RunCompleted: { run: at(4), durationMs: 1_512_000, warnings: [] },
  RunFailed: {
    run: { ...run, plan: [...run.plan, 'discard', 'rename-back'], next: null },
    failedStep: 'restore',
    reason: 'restored instance orders-db ended in status incompatible-restore',
    rolledBack: true,
    durationMs: 912_000,
  },
  SnapshotPolicyFired: {
    policy: {
      name: 'orders-twice-daily',
      kind: 'instance',
      databases: { identifiers: ['orders-db'] },
      schedule: 'rate(12 hours)',
      retention: { maxAgeDays: 50 },
      copies: [{ region: 'us-west-2', retention: { maxAgeDays: 1 } }],
    },
    scheduledTime: '2026-11-22T12:00:00Z',
    action: 'snapshot',
  },
  SnapshotCreated: {
    ...firing,
    region: 'us-east-1',
    snapshotIdentifier: policySnapshot,
    snapshotArn: `arn:aws:rds:us-east-1:123456789012:snapshot:${policySnapshot}`,
  },
  SnapshotCopied: {
    ...firing,
    sourceRegion: 'us-east-1',
    sourceSnapshotArn: `arn:aws:rds:us-east-1:123456789012:snapshot:${policySnapshot}`,
    region: 'us-west-2',
    snapshotIdentifier: policySnapshot,
    snapshotArn: `arn:aws:rds:us-west-2:123456789012:snapshot:${policySnapshot}`,
  },
  SnapshotExported: {
    ...firing,
    snapshotIdentifier: policySnapshot,
    exportTaskIdentifier: 'rewind-orders-twice-daily-orders-db-20261122-1200',
    s3Uri: 's3://orders-exports/snapshots/rewind-orders-twice-daily-orders-db-20261122-1200/',
  },
  SnapshotExpired: {
    ...firing,
    region: 'us-west-2',
    asOf: '2026-11-22T12:00:00Z',
    deleted: [
      {
        snapshotIdentifier: 'rewind-orders-twice-daily-orders-db-20261121-0000',
        createdAt: '2026-11-21T00:00:00Z',
        ageDays: 1.5,
        reason: 'older than 1 days (maxAgeDays)',
      },
    ],
    kept: [
      {
        snapshotIdentifier: policySnapshot,
        createdAt: '2026-11-22T12:00:00Z',
        ageDays: 0,
        reason: 'newest available',
      },
    ],
  },
  SnapshotFailed: {
    ...firing,
    region: 'us-west-2',
    stage: 'copy',
    snapshotIdentifier: policySnapshot,
    reason: 'CopyDBSnapshot to us-west-2 refused: KMSKeyNotAccessibleFault: the key is disabled',
    errorCode: 'KMSKeyNotAccessibleFault',
    action:
      'enable the key or set another copies[].kmsKeyId for us-west-2 in the policy file; the next firing copies again',
  },
  FailoverRequested: { plan: 'to-west', mode: 'planned', direction: 'failover' },
  FailoverRejected: {
    runId: 'run-20261122-031500-d7r8f9x0',
    plan: 'to-west',
    code: 'not-ready',
    reason:
      'not ready for a planned failover: rds-replica billing-west: replication state is error (not replicating); run `rewind dr check --plan to-west`, fix it, or fail over --unplanned',
    notReady: [{ ...drResources[1]!, reason: 'replication state is error (not replicating)' }],
  },
  FailoverStarted: {
    run: drRun,
    plan: 'to-west',
    direction: 'failover',
    mode: 'planned',
    layers: [
      { name: 'databases', resources: drResources.slice(0, 2) },
      { name: 'layer 2', resources: drResources.slice(2) },
    ],
    startedAt: '2026-11-22T03:15:00.000Z',
  },
  FailoverCompleted: {
    run: { ...drRun, next: null },
    plan: 'to-west',
    direction: 'failover',
    mode: 'planned',
    resources: drResources.map((r) => ({ ...r, outcome: 'moved' as const, detail: 'primary in us-west-2' })),
    keptSnapshots: [],
    warnings: [],
    durationMs: 412_000,
  },
  FailoverFailed: {
    run: { ...drRun, next: null },
    plan: 'to-west',
    direction: 'failover',
    mode: 'planned',
    failedLayer: 1,
    reason: 'PromoteReadReplica billing-west failed: InvalidDBInstanceState',
    errorCode: 'InvalidDBInstanceState',
    resources: [
      { ...drResources[0]!, outcome: 'moved', detail: 'orders-west is the writer' },
      { ...drResources[1]!, outcome: 'not-moved', detail: 'billing-west is still a replica (available)' },
      { ...drResources[2]!, outcome: 'not-started', detail: 'layer 2 never started' },
    ],
    rolledBack: false,
    action:
      'aws rds promote-read-replica --region us-west-2 --db-instance-identifier billing-west; then rewind failover --plan to-west (moved resources are left as they are)',
    durationMs: 98_000,
  },
  ReplicationRequested: { policy: 'orders-to-staging', scheduledTime: '2026-11-22T03:00:00Z' },
  ReplicationStarted: {
    ...replication,
    kind: 'instance',
    sourceRegion: 'us-east-1',
    sourceIdentifier: 'orders-db',
    destinations: ['222222222222'],
    scheduledTime: '2026-11-22T03:00:00Z',
    snapshotIdentifier: 'rewind-repl-orders-to-staging-202611220300',
    startedAt: '2026-11-22T03:00:02.000Z',
  },
  SnapshotShared: {
    ...replication,
    kind: 'instance',
    sourceRegion: 'us-east-1',
    sourceIdentifier: 'orders-db',
    destinationAccount: '222222222222',
    snapshotIdentifier: 'rewind-repl-orders-to-staging-202611220300-shared',
    snapshotArn: `${sourceArn}-shared`,
    sourceSnapshotArn: sourceArn,
    kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/4f7b9a2e-share',
    reencrypted: true,
    snapshotCreateTime: '2026-11-22T03:00:05.000Z',
    sharedAt: '2026-11-22T03:09:40.000Z',
  },
  ReplicationReceived: {
    ...replication,
    destinationAccount: '222222222222',
    mode: 'in-place',
    copyIdentifier: 'rewind-repl-orders-to-staging-202611220300-copy',
    receivedAt: '2026-11-22T03:09:41.000Z',
  },
  ReplicationCompleted: {
    ...replication,
    kind: 'instance',
    sourceIdentifier: 'orders-db',
    destinationAccount: '222222222222',
    destinationRegion: 'us-east-1',
    mode: 'in-place',
    identifier: 'orders-staging',
    resourceId: 'db-7XQ2MZ4K9PLW3RTA6YB5NCVD1E',
    endpoint: { address: 'orders-staging.c2bkdiq45.us-east-1.rds.amazonaws.com', port: 5432 },
    runId: 'run-20261122-031200-m4n5b6v7',
    lineage: {
      sourceSnapshotArn: sourceArn,
      sharedSnapshotArn: `${sourceArn}-shared`,
      copySnapshotArn:
        'arn:aws:rds:us-east-1:222222222222:snapshot:rewind-repl-orders-to-staging-202611220300-copy',
    },
    warnings: [],
    durationMs: 1_920_000,
  },
  ReplicationFailed: {
    ...replication,
    account: '222222222222',
    destinationAccount: '222222222222',
    stage: 'copy',
    reason:
      'CopyDBSnapshot refused: KMSKeyNotAccessibleFault: The source snapshot KMS key [arn:aws:kms:us-east-1:111111111111:key/4f7b9a2e-share] does not exist, is not enabled or you do not have permissions to access it.',
    errorCode: 'KMSKeyNotAccessibleFault',
    cleanedUp: ['rewind-repl-orders-to-staging-202611220300-copy (deleted in 222222222222)'],
    action:
      'let account 222222222222 use the key: add the statements of `rewind replication key-policy --policy orders-to-staging` to the key policy of arn:aws:kms:us-east-1:111111111111:key/4f7b9a2e-share; the next firing replicates again',
  },
};
