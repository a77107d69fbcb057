import { z } from 'zod';
import { kindSchema } from './run';

/**
 * Events of cross-account replication (services/replication, docs/replication.md). The source account
 * snapshots, re-encrypts when needed, shares and announces (`SnapshotShared`, forwarded bus to bus to the
 * destination account); the destination copies with its own key, restores, and answers
 * (`ReplicationReceived`, then `ReplicationCompleted` or `ReplicationFailed`, forwarded back to the source).
 */
const at = z.iso.datetime({ offset: true });
const accountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const policyName = z.string().min(1).max(31).describe('The replication policy (the `replication` section)');
const replicationId = z
  .string()
  .min(1)
  .max(128)
  .describe('One replication: a firing (or request) of a policy, to all its destinations');

export const REPLICATION_STAGES = [
  // source account
  'select',
  'snapshot',
  'encrypt',
  'share',
  'announce',
  // destination account
  'receive',
  'copy',
  'restore',
  'secret',
  'prune',
  // either
  'cleanup',
] as const;
export const REPLICATION_MODES = ['in-place', 'versioned'] as const;

export const ReplicationRequested = z.strictObject({
  policy: policyName,
  scheduledTime: at
    .optional()
    .describe('When the schedule fired (<aws.scheduler.scheduled-time>); absent for a request by hand'),
  destinations: z
    .array(accountId)
    .min(1)
    .max(20)
    .optional()
    .describe("Only these of the policy's destination accounts (default: all)"),
  requestId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.:/-]+$/, 'requestId may contain letters, digits and . : / _ -')
    .optional()
    .describe('Idempotency key: a repeated requestId starts nothing new'),
  requestedBy: z.string().min(1).max(200).optional(),
});

export const ReplicationStarted = z.object({
  replicationId,
  policy: policyName,
  kind: kindSchema,
  sourceAccount: accountId,
  sourceRegion: z.string(),
  sourceIdentifier: z.string(),
  destinations: z.array(accountId).describe('The destination accounts this replication goes to'),
  scheduledTime: at.optional(),
  requestId: z.string().optional(),
  snapshotIdentifier: z.string().describe('The snapshot taken of the source for this replication'),
  startedAt: at,
});

export const SnapshotShared = z.object({
  replicationId,
  policy: policyName,
  kind: kindSchema,
  sourceAccount: accountId,
  sourceRegion: z.string(),
  sourceIdentifier: z.string().describe('The source database'),
  destinationAccount: accountId.describe('The account this announcement is for (forwarded to its bus)'),
  snapshotIdentifier: z.string().describe('The shared snapshot, in the source account'),
  snapshotArn: z.string().describe('Its ARN: how the destination reaches it'),
  sourceSnapshotArn: z
    .string()
    .describe(
      'The snapshot taken of the source database (the shared one, or the one it was re-encrypted from)',
    ),
  kmsKeyId: z
    .string()
    .nullable()
    .describe('The key the shared snapshot is encrypted with (null: unencrypted)'),
  reencrypted: z
    .boolean()
    .describe("True when the shared snapshot is a copy re-encrypted with the policy's shareable key"),
  snapshotCreateTime: at.optional().describe('When the source snapshot was taken (the data is as of then)'),
  sharedAt: at,
});

export const ReplicationReceived = z.object({
  replicationId,
  policy: policyName,
  sourceAccount: accountId,
  destinationAccount: accountId,
  mode: z.enum(REPLICATION_MODES),
  copyIdentifier: z.string().describe('The copy the destination makes with its own key'),
  receivedAt: at,
});

const lineage = z.object({
  sourceSnapshotArn: z.string().describe('The snapshot taken of the source database'),
  sharedSnapshotArn: z
    .string()
    .describe('The snapshot shared (the source snapshot, or its re-encrypted copy)'),
  copySnapshotArn: z.string().describe("The destination's copy, encrypted with its key, restored from"),
});

export const ReplicationCompleted = z.object({
  replicationId,
  policy: policyName,
  kind: kindSchema,
  sourceAccount: accountId,
  sourceIdentifier: z.string(),
  destinationAccount: accountId,
  destinationRegion: z.string(),
  mode: z.enum(REPLICATION_MODES),
  identifier: z.string().describe('The destination database holding the data now'),
  resourceId: z.string().optional().describe('Its resource id (DbiResourceId / DbClusterResourceId)'),
  endpoint: z.object({ address: z.string(), port: z.number().int().optional() }).optional(),
  runId: z.string().describe('The restore run (in place) or clone run (versioned) in the destination'),
  lineage,
  secret: z
    .object({ id: z.string(), field: z.string(), value: z.string() })
    .optional()
    .describe('versioned: the secret field set to the new endpoint'),
  versions: z
    .object({ kept: z.array(z.string()), deleted: z.array(z.string()) })
    .optional()
    .describe('versioned: the versions kept and deleted'),
  warnings: z.array(z.string()).default([]),
  durationMs: z.number().int().nonnegative(),
});

export const ReplicationFailed = z.object({
  replicationId,
  policy: policyName,
  account: accountId.describe('The account where it failed (its Rewind alerted there)'),
  sourceAccount: accountId,
  destinationAccount: accountId
    .optional()
    .describe('The destination concerned (absent when the failure concerns every destination)'),
  stage: z.enum(REPLICATION_STAGES),
  reason: z.string().min(1).describe('What went wrong'),
  errorCode: z.string().optional(),
  runId: z.string().optional().describe('The restore run in the destination, when one ran'),
  rolledBack: z
    .boolean()
    .optional()
    .describe('in-place: true when the destination database is back as it was (the run rolled back)'),
  cleanedUp: z
    .array(z.string())
    .default([])
    .describe('What was removed so nothing is left behind (snapshots unshared or deleted, half-made copies)'),
  action: z.string().describe('What a person should do; the next firing runs anyway'),
});
