import { z } from 'zod';
import { identifierSchema } from '../contracts/identifier';
import { parseNamedPolicies, type PolicyIssues } from './issues';
import { EXPRESSION_FIX, SCHEDULE_EXPRESSION } from './expressions';

/**
 * The `snapshotPolicies` section: which databases get a manual snapshot how often, how long snapshots are
 * kept, the regions they are copied to (each with its own retention), and an optional export to S3.
 *
 * { "snapshotPolicies": [ { "name": "orders-twice-daily", "kind": "instance",
 *     "databases": { "identifiers": ["orders-db"] }, "schedule": "rate(12 hours)",
 *     "retention": { "maxAgeDays": 50 },
 *     "copies": [ { "region": "us-west-2", "kmsKeyId": "arn:aws:kms:us-west-2:...", "retention": { "maxAgeDays": 1 } } ],
 *     "export": { "bucket": "orders-exports", "prefix": "snapshots", "iamRoleArn": "...", "kmsKeyId": "..." } } ] }
 */

const POLICY_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const TAG_KEY = /^(?!aws:)[\w .:/=+\-@]{1,128}$/;

const expression = z
  .string({ error: `must be a string: ${EXPRESSION_FIX}` })
  .refine((v) => SCHEDULE_EXPRESSION.test(v), {
    error: (i) => `"${String(i.input)}" is not a schedule: ${EXPRESSION_FIX}`,
  });

export const retentionSchema = z
  .strictObject({
    keepLast: z
      .number({ error: 'must be a whole number of snapshots to keep, at least 1' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1: the newest snapshot is always kept' })
      .max(1000)
      .optional()
      .describe('Keep the newest N snapshots of each database'),
    maxAgeDays: z
      .number({ error: 'must be a number of days, e.g. 50' })
      .positive({ error: 'must be more than 0 days' })
      .max(3650)
      .optional()
      .describe('Delete snapshots older than this many days (the newest available one is always kept)'),
  })
  .refine((r) => r.keepLast !== undefined || r.maxAgeDays !== undefined, {
    error: 'says nothing: give "keepLast" (keep the newest N) and/or "maxAgeDays" (delete older than D days)',
  });
export type Retention = z.output<typeof retentionSchema>;

const kmsKey = z.string({ error: 'must be a KMS key ARN, alias ARN or key id' }).min(1).max(2048);

export const copySchema = z.strictObject({
  region: z
    .string({ error: 'must be a region name, e.g. us-west-2' })
    .regex(REGION, { error: 'must be a region name, e.g. us-west-2' }),
  kmsKeyId: kmsKey
    .optional()
    .describe('KMS key in the destination region (needed for encrypted snapshots: a key is regional)'),
  retention: retentionSchema.describe('How long copies are kept in that region'),
});

export const exportSchema = z.strictObject({
  bucket: z
    .string({ error: 'must be an S3 bucket name' })
    .regex(BUCKET, { error: 'must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens' }),
  prefix: z.string().max(900).optional(),
  iamRoleArn: z
    .string({ error: 'must be the ARN of a role export.rds.amazonaws.com can assume' })
    .regex(ROLE_ARN, { error: 'must be an IAM role ARN: arn:aws:iam::<account>:role/<name>' }),
  kmsKeyId: kmsKey.describe('KMS key the exported data is encrypted with (required by StartExportTask)'),
});

export const snapshotPolicySchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).regex(POLICY_NAME, {
    error: 'must be 1-31 lowercase letters, digits and hyphens, starting with a letter',
  }),
  description: z.string().max(300).optional(),
  kind: z
    .enum(['instance', 'cluster'], {
      error: 'must be "instance" (DB instances) or "cluster" (Aurora clusters)',
    })
    .default('instance'),
  databases: z
    .strictObject(
      {
        identifiers: z.array(identifierSchema).min(1, { error: 'lists no database' }).optional(),
        tag: z
          .strictObject({
            key: z.string().regex(TAG_KEY, { error: 'must be a tag key (not starting with aws:)' }),
            value: z.string().max(256),
          })
          .optional(),
      },
      {
        error:
          'must be { "identifiers": ["db-1"] } or { "tag": { "key": "backup", "value": "twice-daily" } }',
      },
    )
    .refine((d) => (d.identifiers === undefined) !== (d.tag === undefined), {
      error:
        'must name the databases one way: "identifiers": [...] or "tag": { "key", "value" }, not both, not neither',
    }),
  schedule: z.union([expression, z.array(expression).min(1).max(24)], {
    error: `must be an expression or a list of them: ${EXPRESSION_FIX}`,
  }),
  timezone: z.string().max(50).optional(),
  enabled: z.boolean().default(true),
  retention: retentionSchema,
  pruneSchedule: expression
    .optional()
    .describe('Also apply retention on this schedule, without a new snapshot'),
  copies: z
    .array(copySchema)
    .max(10)
    .default([])
    .refine((list) => new Set(list.map((c) => c.region)).size === list.length, {
      error: 'names a region twice; one copy per destination region',
    }),
  export: exportSchema.optional(),
});
export type SnapshotPolicy = z.output<typeof snapshotPolicySchema>;
export type SnapshotPolicyInput = z.input<typeof snapshotPolicySchema>;

/** The policy's schedule expressions as a list. */
export function policyExpressions(policy: SnapshotPolicy): string[] {
  return typeof policy.schedule === 'string' ? [policy.schedule] : policy.schedule;
}

/** Validates the section: every mistake of every policy, each named by the policy and the field. */
export function parseSnapshotPolicies(raw: unknown, issues: PolicyIssues): SnapshotPolicy[] {
  return parseNamedPolicies(
    'snapshotPolicies',
    snapshotPolicySchema,
    raw,
    issues,
    '{ "name": ..., "databases": ..., ... }',
  );
}
