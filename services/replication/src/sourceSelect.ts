import { DescribeKeyCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import {
  describeError,
  errorName,
  findCluster,
  findInstance,
  sharedSnapshotName,
  type SharePlan,
  type SourceFailure,
} from '@rewind/shared';
import { failSource, sourceJobs, type Look } from './sourceLook';

/**
 * Select: the source database (it exists, it opted in) and how its snapshot becomes shareable, decided
 * before anything is taken. A snapshot encrypted with an AWS managed key (`aws/rds`) can never be shared
 * (its key policy cannot name another account): it is re-encrypted with the policy's `source.kmsKeyId`,
 * and without one the replication fails here with the fix, having created nothing.
 */

type Refusal = Omit<SourceFailure, 'at' | 'stage'>;

interface Database {
  tags: { Key?: string; Value?: string }[];
  encrypted: boolean;
  kmsKeyId?: string;
  resourceId?: string;
  clusterMember?: string;
}

async function database(l: Look): Promise<Database | undefined> {
  const { job } = l;
  const rds = l.deps.rdsIn(job.sourceRegion);
  if (job.kind === 'cluster') {
    const c = await findCluster(rds, job.sourceIdentifier);
    return (
      c && {
        tags: c.TagList ?? [],
        encrypted: c.StorageEncrypted ?? false,
        kmsKeyId: c.KmsKeyId,
        resourceId: c.DbClusterResourceId,
      }
    );
  }
  const i = await findInstance(rds, job.sourceIdentifier);
  return (
    i && {
      tags: i.TagList ?? [],
      encrypted: i.StorageEncrypted ?? false,
      kmsKeyId: i.KmsKeyId,
      resourceId: i.DbiResourceId,
      clusterMember: i.DBClusterIdentifier,
    }
  );
}

/** DescribeKey in the source region: the key's metadata, or why it cannot be used (a refusal). */
async function describeKey(l: Look, keyId: string): Promise<KeyMetadata | Refusal> {
  try {
    const out = await l.deps.kmsIn(l.job.sourceRegion).send(new DescribeKeyCommand({ KeyId: keyId }));
    if (out.KeyMetadata) return out.KeyMetadata;
    return { reason: `KMS DescribeKey answered nothing for ${keyId}`, action: 'try again' };
  } catch (err) {
    const name = errorName(err);
    if (name === 'NotFoundException' || name === 'AccessDeniedException') {
      return {
        reason: `the KMS key ${keyId} cannot be read: ${describeError(err)}`,
        errorCode: name,
        action:
          name === 'NotFoundException'
            ? `check the key ARN (a key is regional: it must be in ${l.job.sourceRegion})`
            : `let Rewind's replication role call kms:DescribeKey on ${keyId} (redeploy the replication stack)`,
      };
    }
    throw err;
  }
}

const isMeta = (v: KeyMetadata | Refusal): v is KeyMetadata => !('action' in v);

/** How the snapshot becomes shareable, or why it cannot. */
async function sharePlan(l: Look, db: Database): Promise<SharePlan | Refusal> {
  const { job } = l;
  const policy = job.policy!;
  const wanted = policy.source.kmsKeyId;
  const keyPolicyFix = `rewind replication key-policy --policy ${policy.name}`;
  let target: KeyMetadata | undefined;
  if (wanted) {
    const meta = await describeKey(l, wanted);
    if (!isMeta(meta)) return meta;
    if (meta.KeyManager === 'AWS') {
      return {
        reason: `source.kmsKeyId of policy ${policy.name} (${wanted}) is an AWS managed key: another account can never be let use it`,
        action: `create a customer managed key in ${job.sourceRegion} with the key policy \`${keyPolicyFix}\` prints, and set source.kmsKeyId to its ARN`,
      };
    }
    if (meta.Enabled === false || (meta.KeyState && meta.KeyState !== 'Enabled')) {
      return {
        reason: `source.kmsKeyId of policy ${policy.name} (${wanted}) is ${meta.KeyState ?? 'disabled'}`,
        errorCode: 'KMSKeyNotAccessibleFault',
        action: `enable the key (aws kms enable-key --key-id ${wanted}) or set another one in source.kmsKeyId`,
      };
    }
    target = meta;
  }
  const plain = { reencrypt: false, sharedName: job.snapshotName, resourceId: db.resourceId };
  const copy = {
    reencrypt: true,
    sharedName: sharedSnapshotName(job.snapshotName),
    resourceId: db.resourceId,
  };
  if (!db.encrypted) {
    // RDS refuses KmsKeyId on a copy of an unencrypted cluster snapshot: it is shared as it is.
    if (target && job.kind === 'instance')
      return { ...copy, kmsKeyId: target.Arn!, why: 'unencrypted: encrypted with source.kmsKeyId' };
    return { ...plain, kmsKeyId: null, why: 'unencrypted: shared as it is' };
  }
  const current = await describeKey(l, db.kmsKeyId ?? 'alias/aws/rds');
  if (!isMeta(current)) return current;
  if (current.KeyManager === 'AWS') {
    if (!target) {
      return {
        reason: `${job.sourceIdentifier} is encrypted with the AWS managed key aws/rds (${current.Arn ?? db.kmsKeyId}), which cannot be shared with another account, and policy ${policy.name} sets no source.kmsKeyId to re-encrypt its snapshots with`,
        errorCode: 'DefaultKeyNotShareable',
        action: `create a customer managed key in ${job.sourceRegion} with the key policy \`${keyPolicyFix}\` prints (it lets the destination accounts use it), then set source.kmsKeyId of policy ${policy.name} to its ARN: each snapshot is then re-encrypted with it before it is shared`,
      };
    }
    return {
      ...copy,
      kmsKeyId: target.Arn!,
      why: 'encrypted with aws/rds: re-encrypted with source.kmsKeyId',
    };
  }
  if (target && target.Arn !== current.Arn) {
    return {
      ...copy,
      kmsKeyId: target.Arn!,
      why: `encrypted with ${current.Arn}: re-encrypted with source.kmsKeyId`,
    };
  }
  return {
    ...plain,
    kmsKeyId: current.Arn ?? db.kmsKeyId ?? null,
    why: 'encrypted with a customer managed key',
  };
}

/** The select stage: on success the job carries its share plan (and `selected` is marked). */
export async function selectPart(l: Look): Promise<void> {
  const { ctx, job } = l;
  const policy = job.policy!;
  const fail = (refusal: Refusal) => failSource(l, { stage: 'select', ...refusal });
  const noun = job.kind === 'cluster' ? 'DB cluster' : 'DB instance';
  const db = await database(l);
  if (!db) {
    return fail({
      reason: `${noun} ${job.sourceIdentifier} does not exist in ${job.sourceRegion} (account ${job.sourceAccount})`,
      errorCode: job.kind === 'cluster' ? 'DBClusterNotFoundFault' : 'DBInstanceNotFound',
      action: `correct source.identifier (or kind) of replication policy ${policy.name}, or create the database`,
    });
  }
  if (db.clusterMember) {
    return fail({
      reason: `${job.sourceIdentifier} is a member of Aurora cluster ${db.clusterMember}: its snapshots are the cluster's`,
      action: `set "kind": "cluster" and source.identifier "${db.clusterMember}" in replication policy ${policy.name}`,
    });
  }
  const { key, value } = ctx.config.optIn;
  if (!db.tags.some((t) => t.Key === key && t.Value === value)) {
    return fail({
      reason: `${job.sourceIdentifier} has no tag ${key}=${value}: Rewind does not touch it`,
      action: `tag it: aws rds add-tags-to-resource --resource-name <its ARN> --tags Key=${key},Value=${value}`,
    });
  }
  const plan = await sharePlan(l, db);
  if (!('sharedName' in plan)) return fail(plan);
  await sourceJobs(l.deps).set(l.job, { plan });
  await sourceJobs(l.deps).mark(l.job, 'selected', ctx.now().toISOString());
  ctx.log.info('replication selected', { replicationId: job.replicationId, ...plan });
}
