/**
 * Which service subscribes to which events: the one place this wiring is written.
 * Read by every service's `serverless.ts` (rules, queues, functions) and by the local cloud's
 * provisioning and function runtime, so what is deployed and what is tested are the same.
 */

import type { EventName } from './contracts/events';
import type { StepName } from './contracts/run';

/** An EventBridge event pattern (JSON object). */
export type EventPattern = Record<string, unknown>;

export type ServiceName =
  'snapshot' | 'rename' | 'restore' | 'cleanup' | 'notify' | 'lifecycle' | 'failover' | 'replication';
export const SERVICE_NAMES: readonly ServiceName[] = [
  'snapshot',
  'rename',
  'restore',
  'cleanup',
  'notify',
  'lifecycle',
  'failover',
  'replication',
];

interface RuleSpec {
  /** Logical name, unique within the service; the deployed rule is named by `resourceNames().rule()`. */
  name: string;
  description: string;
  pattern: EventPattern;
}

interface FunctionSpec {
  /** Logical function name, unique within the service. */
  name: string;
  /** Module path from the repository root (no extension) and exported function, Lambda style. */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** SQS event source mapping. */
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maxConcurrency: number;
}

export interface ServiceSpec {
  name: ServiceName;
  description: string;
  /** Routing-slip steps this service performs: only steps its handler implements (a start and a waiting route each). */
  steps: readonly StepName[];
  /** The events it puts on the bus (its README lists them with their meaning). */
  emits: readonly EventName[];
  /** The single consumer of the inbox queue. */
  function: FunctionSpec;
  inbox: { visibilityTimeoutSeconds: number; maxReceiveCount: number; messageRetentionSeconds: number };
  rules: readonly RuleSpec[];
  /** IAM actions beyond the common ones (DynamoDB table, PutEvents on the bus, SendMessage to its inbox). */
  permissions: readonly string[];
}

/** RDS event detail-types Rewind listens to (forwarded from the default bus by the shared stack). */
export const RDS_DETAIL_TYPES = [
  'RDS DB Instance Event',
  'RDS DB Snapshot Event',
  'RDS DB Cluster Event',
  'RDS DB Cluster Snapshot Event',
] as const;

/** Rewind's own services never react to archive replays; replays are for systems hooked onto the bus. */
const NOT_REPLAYED = { 'replay-name': [{ exists: false }] };

/** Matches Rewind choreography events whose routing slip says one of `steps` is next. */
function nextStepPattern(steps: readonly StepName[]): EventPattern {
  return { source: ['rewind'], detail: { run: { next: [...steps] } }, ...NOT_REPLAYED };
}

/**
 * Sources of RDS events on Rewind's bus: forwarded from the default bus (`aws.rds`), and from the
 * optional RDS event subscription's adapter (EventBridge refuses custom events with an `aws.` source).
 */
export const RDS_EVENT_SOURCES = ['aws.rds', 'rewind.rds-subscription'] as const;

function rdsEventPattern(detailTypes: readonly string[]): EventPattern {
  return { source: [...RDS_EVENT_SOURCES], 'detail-type': [...detailTypes], ...NOT_REPLAYED };
}

const FUNCTION_DEFAULTS = {
  name: 'worker',
  timeoutSeconds: 60,
  memoryMb: 256,
  batchSize: 10,
  maximumBatchingWindowSeconds: 0,
  maxConcurrency: 5,
};
const INBOX_DEFAULTS = {
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  messageRetentionSeconds: 1_209_600,
};

/** The AWS API actions each service calls (and so the only ones its IAM role grants). */
const SERVICE_PERMISSIONS: Record<ServiceName, readonly string[]> = {
  snapshot: [
    'rds:CreateDBSnapshot',
    'rds:DescribeDBSnapshots',
    'rds:CreateDBClusterSnapshot',
    'rds:DescribeDBClusterSnapshots',
    'rds:AddTagsToResource',
  ],
  rename: [
    'rds:ModifyDBInstance',
    'rds:DescribeDBInstances',
    'rds:ModifyDBCluster',
    'rds:DescribeDBClusters',
  ],
  restore: [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:DescribeDBSnapshots',
    'rds:DescribeDBClusterSnapshots',
    'rds:RestoreDBInstanceFromDBSnapshot',
    'rds:RestoreDBClusterFromSnapshot',
    // Point-in-time restores (in place and clones), and the restorable window intake checks first.
    'rds:RestoreDBInstanceToPointInTime',
    'rds:RestoreDBClusterToPointInTime',
    'rds:DescribeDBInstanceAutomatedBackups',
    'rds:CreateDBInstance',
    'rds:ModifyDBInstance',
    'rds:ModifyDBCluster',
    'rds:DeleteDBInstance',
    'rds:DeleteDBCluster',
    'rds:AddTagsToResource',
    // The run's tag comes off the restored database once it is recorded: its tags end as the original's.
    'rds:RemoveTagsFromResource',
    'iam:PassRole',
  ],
  // DeleteDBInstance with a final snapshot needs CreateDBSnapshot too.
  cleanup: [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:ModifyDBInstance',
    'rds:ModifyDBCluster',
    'rds:DeleteDBInstance',
    'rds:DeleteDBCluster',
    'rds:CreateDBSnapshot',
    // Deleting with a final snapshot needs the snapshot action too.
    'rds:CreateDBClusterSnapshot',
    // ... and, when the database has CopyTagsToSnapshot, tagging that snapshot (RDS, August 2024).
    'rds:AddTagsToResource',
  ],
  notify: ['ses:SendEmail', 'ssm:GetParameter'],
  lifecycle: [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:DescribeAccountAttributes',
    'rds:CreateDBSnapshot',
    'rds:CreateDBClusterSnapshot',
    'rds:DescribeDBSnapshots',
    'rds:DescribeDBClusterSnapshots',
    'rds:CopyDBSnapshot',
    'rds:CopyDBClusterSnapshot',
    'rds:DeleteDBSnapshot',
    'rds:DeleteDBClusterSnapshot',
    'rds:DescribeDBSnapshotAttributes',
    'rds:DescribeDBClusterSnapshotAttributes',
    'rds:StartExportTask',
    'rds:DescribeExportTasks',
    // Tags given when it creates or copies a snapshot (how retention recognises Rewind's snapshots).
    'rds:AddTagsToResource',
    // The export's role, passed to RDS's export service.
    'iam:PassRole',
  ],
  // Every region of the account (a DR plan moves primaries between regions): see deploy/drIam.ts.
  failover: [
    'rds:DescribeGlobalClusters',
    'rds:SwitchoverGlobalCluster',
    'rds:FailoverGlobalCluster',
    'rds:DescribeDBClusters',
    'rds:DescribeDBInstances',
    'rds:PromoteReadReplica',
    'rds:CreateDBInstanceReadReplica',
    // A failback replica is created with the opt-in tag (RDS authorises tags at creation as this).
    'rds:AddTagsToResource',
    'rds:DescribeDBClusterSnapshots',
    'rds:CopyDBClusterSnapshot',
    'elasticache:DescribeGlobalReplicationGroups',
    'elasticache:DescribeReplicationGroups',
    'elasticache:FailoverGlobalReplicationGroup',
    // The replica lag RDS publishes (readiness, and a failback replica's catch-up).
    'cloudwatch:GetMetricStatistics',
  ],
  // Source account: snapshot, re-encrypt with the shareable key, share, expire; destination account: copy
  // the shared snapshot with its own key, keep versions (delete the oldest), write the endpoint into a
  // secret. RDS checks the caller's KMS rights on the keys of a copy (CreateGrant, DescribeKey).
  replication: [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:CreateDBSnapshot',
    'rds:CreateDBClusterSnapshot',
    'rds:DescribeDBSnapshots',
    'rds:DescribeDBClusterSnapshots',
    'rds:CopyDBSnapshot',
    'rds:CopyDBClusterSnapshot',
    'rds:ModifyDBSnapshotAttribute',
    'rds:ModifyDBClusterSnapshotAttribute',
    'rds:DescribeDBSnapshotAttributes',
    'rds:DescribeDBClusterSnapshotAttributes',
    'rds:DeleteDBSnapshot',
    'rds:DeleteDBClusterSnapshot',
    'rds:DeleteDBInstance',
    'rds:DeleteDBCluster',
    // Deletion protection a version took from its template, lifted before the version is deleted.
    'rds:ModifyDBInstance',
    'rds:ModifyDBCluster',
    'rds:AddTagsToResource',
    'kms:DescribeKey',
    'kms:CreateGrant',
    'kms:Decrypt',
    'kms:Encrypt',
    'kms:ReEncrypt*',
    'kms:GenerateDataKey*',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:DescribeSecret',
    'secretsmanager:CreateSecret',
  ],
};

function service(
  name: ServiceName,
  description: string,
  work: { steps: readonly StepName[]; emits: readonly EventName[] },
  rules: readonly RuleSpec[],
): ServiceSpec {
  return {
    name,
    description,
    ...work,
    function: { ...FUNCTION_DEFAULTS, handler: `services/${name}/src/handler.handler` },
    inbox: INBOX_DEFAULTS,
    rules,
    permissions: SERVICE_PERMISSIONS[name],
  };
}

const TERMINAL_NOTIFY_EVENTS = [
  'RestoreRejected',
  'RunFailed',
  'RollbackFailed',
  'RunCompleted',
  'SnapshotFailed',
  'FailoverRejected',
  'FailoverFailed',
  'FailoverCompleted',
  'ReplicationFailed',
  'ReplicationCompleted',
] as const;

export const topology: { services: readonly ServiceSpec[]; rdsForwarding: RuleSpec } = {
  services: [
    service(
      'snapshot',
      'Takes manual snapshots and waits for them',
      { steps: ['snapshot'], emits: ['SnapshotReady', 'RestoreFailed', 'RunFailed', 'RunCompleted'] },
      [
        {
          name: 'steps',
          description: 'Runs whose next step is snapshot',
          pattern: nextStepPattern(['snapshot']),
        },
        {
          name: 'rds',
          description: 'Snapshot lifecycle events from RDS',
          pattern: rdsEventPattern(['RDS DB Snapshot Event', 'RDS DB Cluster Snapshot Event']),
        },
      ],
    ),
    service(
      'rename',
      'Renames databases aside, gives a swapped-in copy the name, renames originals back',
      {
        steps: ['set-aside', 'take-name', 'rename-back'],
        emits: ['RenameCompleted', 'RestoreFailed', 'RollbackCompleted', 'RollbackFailed', 'RunFailed'],
      },
      [
        {
          name: 'steps',
          description: 'Runs whose next step is a rename',
          pattern: nextStepPattern(['set-aside', 'take-name', 'rename-back']),
        },
        {
          name: 'rds',
          description: 'Instance restarts and cluster renames from RDS (an instance rename emits no event)',
          pattern: rdsEventPattern(['RDS DB Instance Event', 'RDS DB Cluster Event']),
        },
      ],
    ),
    service(
      'restore',
      'Intake of restore requests; restores, clones and discards databases',
      {
        steps: ['restore', 'restore-beside', 'restore-new', 'discard'],
        emits: [
          'RestoreRejected',
          'RequestRepeated',
          'RunStarted',
          'CancelRefused',
          'RestoreCompleted',
          'RestoreFailed',
          'DiscardCompleted',
          'RollbackCompleted',
          'RollbackFailed',
          'RunCompleted',
          'RunFailed',
        ],
      },
      [
        {
          name: 'intake',
          description: 'Restore and cancel requests from any client',
          pattern: { 'detail-type': ['RestoreRequested', 'CancelRequested'], ...NOT_REPLAYED },
        },
        {
          name: 'steps',
          description:
            'Runs whose next step is a restore (in place, beside for a swap, new for a clone) or a discard',
          pattern: nextStepPattern(['restore', 'restore-beside', 'restore-new', 'discard']),
        },
        {
          name: 'rds',
          description: 'Instance and cluster lifecycle events from RDS',
          pattern: rdsEventPattern([...RDS_DETAIL_TYPES]),
        },
      ],
    ),
    service(
      'cleanup',
      'Deletes the set-aside original once the restore is verified',
      { steps: ['cleanup'], emits: ['CleanupCompleted', 'RunCompleted'] },
      [
        {
          name: 'steps',
          description: 'Runs whose next step is cleanup',
          pattern: nextStepPattern(['cleanup']),
        },
        {
          name: 'rds',
          description: 'Deletion events from RDS',
          pattern: rdsEventPattern(['RDS DB Instance Event', 'RDS DB Cluster Event']),
        },
      ],
    ),
    service(
      'failover',
      'Disaster recovery: moves the primaries of a DR plan, layer after layer, to their DR region and back',
      {
        steps: ['failover', 'failback'],
        emits: ['FailoverRejected', 'FailoverStarted', 'FailoverCompleted', 'FailoverFailed'],
      },
      [
        {
          name: 'intake',
          description: 'Failover and failback requests from any client',
          pattern: { 'detail-type': ['FailoverRequested'], ...NOT_REPLAYED },
        },
        {
          name: 'steps',
          description: 'DR runs whose next step is failover or failback',
          pattern: nextStepPattern(['failover', 'failback']),
        },
        {
          name: 'rds',
          description:
            'Aurora global database events (switchover, failover, the writer endpoint) and instance events from RDS',
          pattern: rdsEventPattern(['RDS DB Cluster Event', 'RDS DB Instance Event']),
        },
      ],
    ),
    service('notify', 'Email and Slack alerts', { steps: [], emits: [] }, [
      {
        name: 'alerts',
        description: 'Rejections, failures, snapshot policy failures and (optionally) completions',
        pattern: { source: ['rewind'], 'detail-type': [...TERMINAL_NOTIFY_EVENTS], ...NOT_REPLAYED },
      },
    ]),
    service(
      'lifecycle',
      'Snapshot policies: snapshots, exports to S3, copies to other regions, retention',
      {
        steps: [],
        emits: ['SnapshotCreated', 'SnapshotCopied', 'SnapshotExported', 'SnapshotExpired', 'SnapshotFailed'],
      },
      [
        {
          name: 'policies',
          description: 'Firings of snapshot policies (EventBridge Scheduler, rewind snapshots prune)',
          pattern: { 'detail-type': ['SnapshotPolicyFired'], ...NOT_REPLAYED },
        },
        {
          name: 'rds',
          description: 'Snapshot events from RDS',
          pattern: rdsEventPattern(['RDS DB Snapshot Event', 'RDS DB Cluster Snapshot Event']),
        },
      ],
    ),
    service(
      'replication',
      'Cross-account replication: snapshot, re-encrypt, share (source account); copy, restore, report back (destination account)',
      {
        steps: [],
        emits: [
          'ReplicationStarted',
          'SnapshotShared',
          'ReplicationReceived',
          'ReplicationCompleted',
          'ReplicationFailed',
          'RestoreRequested',
        ],
      },
      [
        {
          name: 'intake',
          description: 'Firings of replication policies (EventBridge Scheduler, rewind replicate)',
          pattern: { 'detail-type': ['ReplicationRequested'], ...NOT_REPLAYED },
        },
        {
          name: 'peers',
          description:
            'Shared snapshots announced by source accounts, and the answers of destination accounts (forwarded bus to bus)',
          pattern: {
            source: ['rewind'],
            'detail-type': [
              'SnapshotShared',
              'ReplicationReceived',
              'ReplicationCompleted',
              'ReplicationFailed',
            ],
            ...NOT_REPLAYED,
          },
        },
        {
          name: 'runs',
          description: 'The outcome of the restore runs a destination starts',
          pattern: {
            source: ['rewind'],
            'detail-type': ['RunStarted', 'RequestRepeated', 'RestoreRejected', 'RunCompleted', 'RunFailed'],
            ...NOT_REPLAYED,
          },
        },
        {
          name: 'rds',
          description: 'Snapshot events from RDS (snapshots taken and copied)',
          pattern: rdsEventPattern(['RDS DB Snapshot Event', 'RDS DB Cluster Snapshot Event']),
        },
      ],
    ),
  ],
  rdsForwarding: {
    name: 'rds-forward',
    description: 'Forwards the RDS events Rewind uses from the default bus to the Rewind bus',
    pattern: { source: ['aws.rds'], 'detail-type': [...RDS_DETAIL_TYPES] },
  },
};

export function serviceSpec(name: ServiceName): ServiceSpec {
  const spec = topology.services.find((s) => s.name === name);
  if (!spec) throw new Error(`Unknown service "${name}"; known: ${SERVICE_NAMES.join(', ')}`);
  return spec;
}
