import {
  destinationRegion,
  replicationAsDestination,
  replicationAsSource,
  type ReplicationDestination,
  type ReplicationPolicy,
} from '@rewind/shared';

/**
 * What KMS and IAM must allow for a replication policy to work across accounts
 * (/work/shared/docs/aws-facts-copies-dr.md §3, "KMS policy the target needs"), generated from the
 * policy file rather than written by hand:
 * - the SOURCE key (`source.kmsKeyId`, a customer managed key of the source account) lets every
 *   destination account use it for copies: the data-key actions, and grants for AWS resources (RDS creates
 *   a grant when the destination copies the shared snapshot). The default `aws/rds` key can never be
 *   shared: its key policy cannot be changed.
 * - the DESTINATION key (`destinations[].kmsKeyId`) lets that account's replication role use it.
 * - the destination's replication role needs the same actions on the source key (cross-account use is
 *   allowed only when both the key policy and the caller's IAM policy allow it), through RDS only.
 * Key policy statements go in the key's policy (`aws kms put-key-policy`, merged with what it has);
 * `rewind replication key-policy --policy NAME` prints them, docs/deploy.md shows the example's.
 */

/** What RDS does with a key on the caller's behalf when it copies or restores an encrypted snapshot. */
export const KMS_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];
/** Grants on the key, only for AWS resources (RDS). */
export const KMS_GRANT_ACTIONS = ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'];
const FOR_AWS_RESOURCES = { Bool: { 'kms:GrantIsForAWSResource': 'true' } };

export interface KeyPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: { AWS: string[] };
  Action: string[];
  Resource: '*';
  Condition?: Record<string, Record<string, unknown>>;
}

export interface IamPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** One key's statements, and where the key is. */
export interface KeyPolicy {
  /** The key as the policy names it (a key ARN, or an alias ARN: then apply the statements to its key). */
  key: string;
  account: string;
  region: string;
  side: 'source' | 'destination';
  /** Why the key needs them, one sentence. */
  purpose: string;
  statements: KeyPolicyStatement[];
}

/** What a replication policy needs from KMS and IAM, per account. */
export interface ReplicationKeyRequirements {
  policy: string;
  keys: KeyPolicy[];
  /** IAM statements of each destination account's replication role (on the source key). */
  destinationIam: { account: string; statements: IamPolicyStatement[] }[];
  /** What cannot be generated: the policy has no source key, and what that means. */
  notes: string[];
}

const partitionOf = (arn: string) => arn.split(':')[1] ?? 'aws';
const root = (partition: string, account: string) => `arn:${partition}:iam::${account}:root`;
/** A key's id without characters a Sid does not take. */
const sidPart = (policy: string) =>
  policy
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

/** The name of the replication function's role (deploy/serviceStack.ts sets it; the local cloud uses the same). */
export function replicationRoleName(prefix: string): string {
  return `${prefix}-replication`;
}

export function replicationRoleArn(partition: string, account: string, prefix: string): string {
  return `arn:${partition}:iam::${account}:role/${replicationRoleName(prefix)}`;
}

/** RDS in a region, as `kms:ViaService` names it: the key is used only through RDS copies. */
export const viaRds = (regions: readonly string[]) => ({
  StringEquals: {
    'kms:ViaService': [...new Set(regions)].sort().map((r) => `rds.${r}.amazonaws.com`),
  },
});

/** The source key's statements: every destination account may use it for copies, and its own role too. */
function sourceKeyPolicy(policy: ReplicationPolicy, key: string, prefix: string): KeyPolicy {
  const partition = partitionOf(key);
  const destinations = policy.destinations.map((d) => root(partition, d.account)).sort();
  const own = replicationRoleArn(partition, policy.source.account, prefix);
  const sid = sidPart(policy.name);
  return {
    key,
    account: policy.source.account,
    region: policy.source.region,
    side: 'source',
    purpose: `re-encrypts ${policy.source.identifier}'s snapshots so that ${policy.destinations.length === 1 ? 'the destination account' : `the ${policy.destinations.length} destination accounts`} can copy them`,
    statements: [
      {
        Sid: `RewindReplicationUse${sid}`,
        Effect: 'Allow',
        Principal: { AWS: [own, ...destinations] },
        Action: KMS_USE_ACTIONS,
        Resource: '*',
      },
      {
        Sid: `RewindReplicationGrants${sid}`,
        Effect: 'Allow',
        Principal: { AWS: [own, ...destinations] },
        Action: KMS_GRANT_ACTIONS,
        Resource: '*',
        Condition: FOR_AWS_RESOURCES,
      },
    ],
  };
}

/** A destination key's statements: that account's replication role copies with it, and restores from the copy. */
function destinationKeyPolicy(
  policy: ReplicationPolicy,
  destination: ReplicationDestination,
  prefix: string,
): KeyPolicy {
  const partition = partitionOf(destination.kmsKeyId);
  const role = replicationRoleArn(partition, destination.account, prefix);
  const sid = `${sidPart(policy.name)}Copies`;
  return {
    key: destination.kmsKeyId,
    account: destination.account,
    region: destinationRegion(policy, destination),
    side: 'destination',
    purpose: `encrypts account ${destination.account}'s copies of the shared snapshots`,
    statements: [
      {
        Sid: `RewindReplicationUse${sid}`,
        Effect: 'Allow',
        Principal: { AWS: [role] },
        Action: KMS_USE_ACTIONS,
        Resource: '*',
      },
      {
        Sid: `RewindReplicationGrants${sid}`,
        Effect: 'Allow',
        Principal: { AWS: [role] },
        Action: KMS_GRANT_ACTIONS,
        Resource: '*',
        Condition: FOR_AWS_RESOURCES,
      },
    ],
  };
}

/**
 * The source key as a destination's IAM names it: the key's ARN when the policy gives one, else (an alias,
 * or no key: the database's own customer managed key is shared as it is) any key of the source account in
 * its region.
 */
export function sourceKeyResource(policy: ReplicationPolicy): string {
  const key = policy.source.kmsKeyId;
  if (key && /:key\//.test(key)) return key;
  const partition = key ? partitionOf(key) : 'aws';
  return `arn:${partition}:kms:${policy.source.region}:${policy.source.account}:key/*`;
}

/** The IAM statements a destination's replication role needs on the source account's key. */
export function destinationIamStatements(policy: ReplicationPolicy): IamPolicyStatement[] {
  const sid = sidPart(policy.name);
  const resource = [sourceKeyResource(policy)];
  // The copy of the shared snapshot is made in the source region (then, if asked, into the destination's).
  const via = viaRds([policy.source.region]);
  return [
    {
      Sid: `SourceKeyUse${sid}`,
      Effect: 'Allow',
      Action: KMS_USE_ACTIONS,
      Resource: resource,
      Condition: via,
    },
    {
      Sid: `SourceKeyGrants${sid}`,
      Effect: 'Allow',
      Action: ['kms:CreateGrant'],
      Resource: resource,
      Condition: { ...via, ...FOR_AWS_RESOURCES },
    },
  ];
}

/** Everything a policy needs from KMS and IAM; `prefix` is the deployment's (`rewind-<stage>`). */
export function replicationKeyRequirements(
  policy: ReplicationPolicy,
  prefix: string,
): ReplicationKeyRequirements {
  const notes: string[] = [];
  const keys: KeyPolicy[] = [];
  const key = policy.source.kmsKeyId;
  if (key) {
    keys.push(sourceKeyPolicy(policy, key, prefix));
    if (!/:key\//.test(key))
      notes.push(
        `source.kmsKeyId is an alias (${key}): put the source key statements in the policy of the key it points to; the destinations' IAM then names any key of account ${policy.source.account} in ${policy.source.region}`,
      );
  } else {
    notes.push(
      `No source.kmsKeyId: a source snapshot encrypted with the default aws/rds key cannot be shared (its key policy cannot be changed), and the replication fails at "select" with this fix: create a customer managed key in ${policy.source.account} (${policy.source.region}), give it the source key statements (run this command again with it in source.kmsKeyId), and set source.kmsKeyId. A database encrypted with its own customer managed key needs these statements on that key.`,
    );
  }
  for (const d of policy.destinations) keys.push(destinationKeyPolicy(policy, d, prefix));
  return {
    policy: policy.name,
    keys,
    destinationIam: policy.destinations.map((d) => ({
      account: d.account,
      statements: destinationIamStatements(policy),
    })),
    notes,
  };
}

/**
 * The KMS keys a replication role of `accountId` uses through RDS, per region: the source keys of the
 * policies it is the source of, its own destination keys, and the source keys of the policies it copies
 * from (cross-account).
 */
export function replicationKeysOf(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): { own: { key: string; region: string }[]; peers: { key: string; region: string }[] } {
  const own = [
    ...replicationAsSource(policies, accountId).flatMap((p) =>
      p.source.kmsKeyId ? [{ key: p.source.kmsKeyId, region: p.source.region }] : [],
    ),
    ...replicationAsDestination(policies, accountId).map(({ policy, destination }) => ({
      key: destination.kmsKeyId,
      region: destinationRegion(policy, destination),
    })),
  ];
  const peers = replicationAsDestination(policies, accountId).map(({ policy }) => ({
    key: sourceKeyResource(policy),
    region: policy.source.region,
  }));
  return { own, peers };
}
