import { z } from 'zod';
import { identifierSchema } from '../contracts/identifier';
import { EXPRESSION_FIX, SCHEDULE_EXPRESSION } from './expressions';
import { parseNamedPolicies, type PolicyIssues } from './issues';
import { retentionSchema } from './snapshotPolicies';

/**
 * The `replication` section: a database of one account snapshotted on a schedule, shared with other
 * accounts, copied there with their own key and restored (docs/replication.md). The same file is deployed
 * in every account: each account's Rewind acts on the side it is on (the source account snapshots and
 * shares; a destination account copies and restores), and a destination trusts only its own copy of the
 * policy, never what an incoming event asks for.
 *
 * { "replication": [ { "name": "orders-to-staging", "kind": "instance",
 *     "source": { "account": "111111111111", "region": "us-east-1", "identifier": "orders-db",
 *                 "kmsKeyId": "arn:aws:kms:us-east-1:111111111111:key/..." },
 *     "schedule": "cron(0 3 * * ? *)", "retention": { "keepLast": 1 },
 *     "destinations": [
 *       { "account": "222222222222", "kmsKeyId": "arn:aws:kms:us-east-1:222222222222:key/...",
 *         "mode": "in-place", "identifier": "orders-staging" },
 *       { "account": "333333333333", "kmsKeyId": "...", "mode": "versioned", "prefix": "orders-copy", "keep": 3,
 *         "template": "orders-template", "secret": { "id": "staging/orders", "field": "host" } } ] } ] }
 */

const POLICY_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** At most 20 accounts can be given a manual snapshot (aws-facts-copies-dr.md §3). */
export const MAX_REPLICATION_DESTINATIONS = 20;

const account = z
  .string({ error: 'must be a 12-digit AWS account id, as a string' })
  .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id, as a string ("111111111111")' });
const region = z
  .string({ error: 'must be a region name, e.g. us-east-1' })
  .regex(REGION, { error: 'must be a region name, e.g. us-east-1' });
const kmsKey = z
  .string({ error: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)' })
  .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/, {
    error:
      'must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): another account reaches a key by ARN only',
  });
const expression = z
  .string({ error: `must be a string: ${EXPRESSION_FIX}` })
  .refine((v) => SCHEDULE_EXPRESSION.test(v), {
    error: (i) => `"${String(i.input)}" is not a schedule: ${EXPRESSION_FIX}`,
  });

const destinationCommon = {
  account,
  region: region
    .optional()
    .describe("The destination region: the source's (the default; another region is not supported yet)"),
  kmsKeyId: kmsKey.describe(
    "The destination account's customer managed key the shared snapshot is copied with (in the destination region)",
  ),
  retention: retentionSchema
    .default({ keepLast: 1 })
    .describe('How many copied snapshots the destination keeps (default: the newest one)'),
};

const inPlaceDestination = z.strictObject({
  ...destinationCommon,
  mode: z.literal('in-place'),
  identifier: identifierSchema.describe(
    'The destination database restored in place: it keeps its name and endpoint (it must carry the opt-in tag)',
  ),
  strategy: z
    .enum(['in-place', 'swap'], { error: 'must be "in-place" or "swap"' })
    .default('in-place')
    .describe('The restore plan used (swap: a shorter outage, needs room for a second copy)'),
});

const versionedDestination = z.strictObject({
  ...destinationCommon,
  mode: z.literal('versioned'),
  prefix: identifierSchema.describe('New databases are named <prefix>-<n>, n counting up from 1'),
  keep: z
    .number({ error: 'must be a whole number of databases to keep, at least 1' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1: the newest copy is the one in use' })
    .max(20)
    .default(2)
    .describe('How many versions are kept (the newest N); older ones are deleted'),
  template: identifierSchema
    .optional()
    .describe(
      "A database in the destination account whose configuration (class, subnet group, security groups, parameter group, tags) the first version takes; later versions take the newest version's",
    ),
  secret: z
    .strictObject({
      id: z.string({ error: 'must be a secret name or ARN' }).min(1).max(2048),
      field: z
        .string()
        .min(1)
        .max(100)
        .default('host')
        .describe('The JSON field of the secret that holds the endpoint address'),
    })
    .optional()
    .describe('A Secrets Manager secret (JSON) whose endpoint field is set to the newest version'),
  finalSnapshot: z
    .boolean()
    .default(false)
    .describe('Take a final snapshot of each version deleted beyond `keep`'),
});

export const replicationDestinationSchema = z.discriminatedUnion(
  'mode',
  [inPlaceDestination, versionedDestination],
  {
    error: 'needs "mode": "in-place" (with "identifier") or "versioned" (with "prefix")',
  },
);

export const replicationPolicySchema = z
  .strictObject({
    name: z.string({ error: 'must be a string' }).regex(POLICY_NAME, {
      error: 'must be 1-31 lowercase letters, digits and hyphens, starting with a letter',
    }),
    description: z.string().max(300).optional(),
    kind: z
      .enum(['instance', 'cluster'], {
        error: 'must be "instance" (a DB instance) or "cluster" (an Aurora cluster)',
      })
      .default('instance'),
    source: z.strictObject({
      account,
      region,
      identifier: identifierSchema.describe('The database snapshotted in the source account'),
      kmsKeyId: kmsKey
        .optional()
        .describe(
          'A customer managed key of the source account, shared with the destinations in its key policy: snapshots encrypted with the default aws/rds key (which cannot be shared) are re-encrypted with it, and an unencrypted instance snapshot is encrypted with it',
        ),
    }),
    schedule: z
      .union([expression, z.array(expression).min(1).max(24)], {
        error: `must be an expression or a list of them: ${EXPRESSION_FIX}`,
      })
      .optional()
      .describe('When it runs; without one, it runs only when asked (rewind replicate)'),
    timezone: z.string().max(50).optional(),
    enabled: z.boolean().default(true),
    retention: retentionSchema
      .default({ keepLast: 1 })
      .describe('How many shared snapshots the source account keeps (default: the newest one)'),
    destinations: z
      .array(replicationDestinationSchema)
      .min(1, { error: 'lists no destination account' })
      .max(MAX_REPLICATION_DESTINATIONS, {
        error: `lists more than ${MAX_REPLICATION_DESTINATIONS} destinations: RDS shares a snapshot with at most ${MAX_REPLICATION_DESTINATIONS} accounts`,
      }),
  })
  .superRefine((p, ctx) => {
    const accounts = p.destinations.map((d) => d.account);
    if (new Set(accounts).size !== accounts.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['destinations'],
        message: 'names an account twice; one destination per account',
      });
    }
    p.destinations.forEach((d, i) => {
      if (d.account === p.source.account) {
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'account'],
          message: `is the source account: replication goes to other accounts (a copy in the same account is a clone: rewind clone)`,
        });
      }
      const keyAccount = d.kmsKeyId.split(':')[4];
      if (keyAccount !== d.account) {
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'kmsKeyId'],
          message: `is a key of account ${keyAccount}: give a key of the destination account ${d.account} (its copy is encrypted with it)`,
        });
      }
      if (d.region !== undefined && d.region !== p.source.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'region'],
          message: `is not the source region ${p.source.region}: a shared encrypted snapshot can be copied only in its own region, and Rewind does not yet make the second, cross-region copy; restore in ${p.source.region} (remove "region"), then copy across regions with a snapshot policy in the destination account`,
        });
      }
      const keyRegion = d.kmsKeyId.split(':')[3];
      const destRegion = d.region ?? p.source.region;
      if (keyRegion !== destRegion) {
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'kmsKeyId'],
          message: `is a key in ${keyRegion}: a key is regional, give one in the destination region ${destRegion}`,
        });
      }
    });
    const sourceKey = p.source.kmsKeyId;
    if (sourceKey) {
      const [, , , keyRegion, keyAccount] = sourceKey.split(':');
      if (keyAccount !== p.source.account || keyRegion !== p.source.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['source', 'kmsKeyId'],
          message: `must be a key of the source account ${p.source.account} in ${p.source.region} (it is ${keyAccount} in ${keyRegion})`,
        });
      }
    }
  });

export type ReplicationPolicy = z.output<typeof replicationPolicySchema>;
export type ReplicationPolicyInput = z.input<typeof replicationPolicySchema>;
export type ReplicationDestination = z.output<typeof replicationDestinationSchema>;

/** The destination's region (the source's unless it names one). */
export function destinationRegion(policy: ReplicationPolicy, destination: ReplicationDestination): string {
  return destination.region ?? policy.source.region;
}

/** The policy's schedule expressions as a list (none: it runs only when asked). */
export function replicationExpressions(policy: ReplicationPolicy): string[] {
  if (policy.schedule === undefined) return [];
  return typeof policy.schedule === 'string' ? [policy.schedule] : policy.schedule;
}

/** Policies whose source is this account (it snapshots and shares). */
export function replicationAsSource(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): ReplicationPolicy[] {
  return policies.filter((p) => p.source.account === accountId);
}

/** Policies with a destination in this account (it copies and restores), with that destination. */
export function replicationAsDestination(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): { policy: ReplicationPolicy; destination: ReplicationDestination }[] {
  return policies.flatMap((policy) =>
    policy.destinations
      .filter((d) => d.account === accountId)
      .map((destination) => ({ policy, destination })),
  );
}

/** The accounts this account exchanges replication events with (bus policies and forwarding rules). */
export function replicationPeers(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): { destinations: string[]; sources: string[] } {
  const destinations = new Set(
    replicationAsSource(policies, accountId).flatMap((p) => p.destinations.map((d) => d.account)),
  );
  const sources = new Set(replicationAsDestination(policies, accountId).map((x) => x.policy.source.account));
  return { destinations: [...destinations].sort(), sources: [...sources].sort() };
}

/** Validates the section: every mistake of every policy, each named by the policy and the field. */
export function parseReplicationPolicies(raw: unknown, issues: PolicyIssues): ReplicationPolicy[] {
  return parseNamedPolicies(
    'replication',
    replicationPolicySchema,
    raw,
    issues,
    '{ "name": ..., "source": ..., "destinations": [...] }',
  );
}
