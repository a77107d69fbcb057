import { z } from 'zod';
import { snapshotPolicySchema } from '../policies/snapshotPolicies';
import { kindSchema } from './run';

/**
 * Events of snapshot policies (the lifecycle service). A firing carries the whole policy, so the service
 * needs no copy of the policy file and a firing says exactly what it was asked to do.
 */
const at = z.iso.datetime({ offset: true });

const about = {
  policy: z.string().min(1).describe('The snapshot policy'),
  identifier: z.string().min(1).describe('The database (DB instance or Aurora cluster identifier)'),
  kind: kindSchema,
  scheduledTime: at.describe('The firing this belongs to (its scheduled time)'),
};

export const SnapshotPolicyFired = z.object({
  policy: snapshotPolicySchema,
  scheduledTime: at.describe('When the schedule fired (<aws.scheduler.scheduled-time>)'),
  action: z
    .enum(['snapshot', 'prune'])
    .default('snapshot')
    .describe('snapshot: snapshot, export, copy, then retention; prune: retention only'),
});

export const SnapshotCreated = z.object({
  ...about,
  region: z.string(),
  snapshotIdentifier: z.string(),
  snapshotArn: z.string(),
});

export const SnapshotCopied = z.object({
  ...about,
  sourceRegion: z.string(),
  sourceSnapshotArn: z.string(),
  region: z.string().describe('The destination region'),
  snapshotIdentifier: z.string().describe('The copy, in the destination region'),
  snapshotArn: z.string(),
});

export const SnapshotExported = z.object({
  ...about,
  snapshotIdentifier: z.string(),
  exportTaskIdentifier: z.string(),
  s3Uri: z.string().describe('s3://bucket/prefix/ the data was written to'),
});

const decision = z.object({
  snapshotIdentifier: z.string(),
  createdAt: at.optional(),
  ageDays: z.number().optional(),
  reason: z.string().describe('Why it is deleted, or why it is kept'),
});

export const SnapshotExpired = z.object({
  ...about,
  region: z.string(),
  asOf: at.describe("Ages are computed as of this time: the firing's scheduled time"),
  deleted: z.array(decision).describe('Snapshots deleted, each with why'),
  kept: z.array(decision).describe('Snapshots of the policy kept, each with why'),
});

export const SnapshotFailed = z.object({
  policy: z.string().min(1),
  identifier: z.string().optional().describe('The database, when the failure concerns one'),
  kind: kindSchema,
  scheduledTime: at,
  region: z.string(),
  stage: z.enum(['select', 'quota', 'snapshot', 'export', 'copy', 'retention']),
  snapshotIdentifier: z.string().optional(),
  reason: z.string().min(1).describe('What went wrong'),
  errorCode: z.string().optional(),
  action: z.string().describe('What a person should do; the next firing runs anyway'),
});
