import {
  describeError,
  errorName,
  INTERMEDIATE_PURPOSE,
  isRdsError,
  madeByReplication,
  replicationSnapshotTags,
  SHARED_PURPOSE,
  SNAPSHOT_KINDS,
  sourceJobBySnapshot,
  type SnapshotView,
  type SourceFailure,
} from '@rewind/shared';
import { duration, failSource, isRefusal, once, passed, sourceJobs, type Look } from './sourceLook';

/**
 * The snapshot stages of the source side: take the snapshot, re-encrypt it when the plan says so (and
 * delete the plain one once the copy is available), share it, stop sharing it, and delete what this
 * replication made. Each re-reads RDS, so a lost or repeated message changes nothing.
 */

const FAILED = new Set(['failed', 'error', 'incompatible-restore']);
/** The database is busy (a backup, a modification): a snapshot can be taken once it is done. */
const BUSY = ['InvalidDBInstanceState', 'InvalidDBClusterStateFault'];

const api = (l: Look) => SNAPSHOT_KINDS[l.job.kind];
const rdsOf = (l: Look) => l.deps.rdsIn(l.job.sourceRegion);

function tags(l: Look, purpose: typeof SHARED_PURPOSE | typeof INTERMEDIATE_PURPOSE) {
  const { job } = l;
  return replicationSnapshotTags({
    policy: job.policyName,
    replicationId: job.replicationId,
    identifier: job.sourceIdentifier,
    at: job.at,
    purpose,
  });
}

type Stage = 'snapshot' | 'encrypt';

function fail(l: Look, stage: Stage, reason: string, action: string, errorCode?: string) {
  return failSource(l, { stage, reason, action, errorCode } satisfies Omit<SourceFailure, 'at'>);
}

/**
 * One snapshot this replication makes (`name`): started once, then waited on until available. Undefined
 * while it is not available (or when the stage failed).
 */
async function made(
  l: Look,
  stage: Stage,
  name: string,
  since: string,
  start: () => Promise<unknown>,
): Promise<SnapshotView | undefined> {
  const { job, ctx } = l;
  const requested = `${stage}:requested`;
  const deadline = ctx.config.wait.deadlines.snapshot;
  const what = stage === 'snapshot' ? `the snapshot ${name}` : `the re-encrypted copy ${name}`;
  const found = await api(l).find(rdsOf(l), name);
  if (!found) {
    if (job.marks[requested]) {
      return void (await fail(
        l,
        stage,
        `${what} disappeared before it was available (it failed, or someone deleted it)`,
        'nothing to clean up; the next firing starts again',
      ));
    }
    if (passed(l, since, deadline)) {
      return void (await fail(
        l,
        stage,
        `${what} could not be started within ${duration(deadline)}: ${job.sourceIdentifier} stayed busy`,
        `look at ${job.sourceIdentifier}'s status; the next firing starts again`,
      ));
    }
    if (!(await sourceJobs(l.deps).mark(job, requested, ctx.now().toISOString()))) {
      l.pending = true;
      return undefined;
    }
    try {
      await start();
      // Only the job that made the snapshot hears RDS's events about it.
      await sourceJobs(l.deps).index(sourceJobBySnapshot(name), job, ctx.now());
    } catch (err) {
      if (isRdsError(err, api(l).alreadyExists)) {
        // Made by an earlier attempt whose answer was lost, or by someone else: the next look tells.
        l.pending = true;
        return undefined;
      }
      await sourceJobs(l.deps).unmark(job, requested);
      if (BUSY.some((code) => isRdsError(err, code))) {
        ctx.log.info('database busy: the snapshot is taken at a next check', {
          replicationId: job.replicationId,
          error: describeError(err),
        });
        l.pending = true;
        return undefined;
      }
      if (isRefusal(l, err)) await refusedStart(l, stage, name, err);
      return undefined;
    }
    l.pending = true;
    return undefined;
  }
  if (!madeByReplication(found, job.replicationId)) {
    return void (await fail(
      l,
      stage,
      `a snapshot named ${name} exists already and was not made by replication ${job.replicationId} (tag rewind:replication-id: ${found.tags['rewind:replication-id'] ?? 'none'})`,
      `another replication of policy ${job.policyName} started in the same minute, or the name was taken by hand: wait a minute and ask again (rewind replicate), or delete or rename that snapshot`,
    ));
  }
  if (FAILED.has(found.status)) {
    return void (await fail(
      l,
      stage,
      `${what} ended in status ${found.status}`,
      'the next firing starts again',
      found.status,
    ));
  }
  if (found.status !== 'available') {
    if (passed(l, job.marks[requested] ?? since, deadline)) {
      await fail(
        l,
        stage,
        `${what} was not available after ${duration(deadline)} (status ${found.status})`,
        `look at it in ${job.sourceRegion}; Rewind deletes it once it can`,
      );
    } else l.pending = true;
    return undefined;
  }
  return found;
}

async function refusedStart(l: Look, stage: Stage, name: string, err: unknown) {
  const { job } = l;
  const code = errorName(err);
  const key = job.plan?.kmsKeyId;
  if (isRdsError(err, 'KMSKeyNotAccessibleFault')) {
    return fail(
      l,
      stage,
      `RDS cannot use the KMS key ${key}: ${describeError(err)}`,
      `the key must exist, be enabled, and its key policy must let this account's RDS create grants (rewind replication key-policy --policy ${job.policyName}); then ask again (rewind replicate)`,
      code,
    );
  }
  if (isRdsError(err, 'SnapshotQuotaExceeded')) {
    return fail(
      l,
      stage,
      `the manual snapshot quota is reached in ${job.sourceRegion}: ${describeError(err)}`,
      `shorten the retention of a policy (replication or snapshot), delete manual snapshots no longer needed, or ask AWS for a higher quota; the next firing tries again`,
      code,
    );
  }
  const action = stage === 'snapshot' ? api(l).createAction : api(l).copyAction;
  return fail(
    l,
    stage,
    `${action} ${name} refused: ${describeError(err)}`,
    'fix the cause; the next firing starts again',
    code,
  );
}

/**
 * The snapshot to share once it is available: the one taken, or (re-encrypt) its copy with the policy's
 * key, the plain one deleted once the copy is available. Undefined while under way or when a stage failed.
 */
export async function shareableSnapshot(l: Look): Promise<string | undefined> {
  const { job } = l;
  const plan = job.plan!;
  const jobs = sourceJobs(l.deps);
  if (!job.marks['snapshot:ready']) {
    const purpose = plan.reencrypt ? INTERMEDIATE_PURPOSE : SHARED_PURPOSE;
    const snap = await made(l, 'snapshot', job.snapshotName, job.createdAt, () =>
      api(l).create(rdsOf(l), job.sourceIdentifier, job.snapshotName, tags(l, purpose)),
    );
    if (!snap) return undefined;
    await jobs.set(job, {
      sourceSnapshotArn: snap.arn,
      snapshotCreateTime: snap.createTime ? new Date(snap.createTime).toISOString() : undefined,
      ...(plan.reencrypt ? {} : { sharedSnapshotArn: snap.arn }),
    });
    await jobs.mark(job, 'snapshot:ready', l.ctx.now().toISOString());
  }
  if (!plan.reencrypt) return job.sharedSnapshotArn;
  if (!job.marks['encrypt:ready']) {
    const copy = await made(l, 'encrypt', plan.sharedName, job.marks['snapshot:ready']!, () =>
      api(l).copy(rdsOf(l), {
        sourceArn: job.sourceSnapshotArn!,
        name: plan.sharedName,
        kmsKeyId: plan.kmsKeyId ?? undefined,
        tags: tags(l, SHARED_PURPOSE),
      }),
    );
    if (!copy) return undefined;
    await jobs.set(job, { sharedSnapshotArn: copy.arn });
    await jobs.mark(job, 'encrypt:ready', l.ctx.now().toISOString());
  }
  await once(l, 'plain:deleted', async () => {
    const result = await deleteOurs(l, job.snapshotName);
    if (typeof result === 'object' || result === 'busy')
      l.ctx.log.warn('the plain snapshot is left; the cleanup after the answers deletes it', {
        replicationId: job.replicationId,
        snapshot: job.snapshotName,
        result,
      });
  });
  return job.sharedSnapshotArn;
}

/** Shares the snapshot with every destination (at most 20: the policy schema ensures it). */
export async function sharePart(l: Look): Promise<boolean> {
  const { job } = l;
  if (job.marks.shared) return true;
  const name = job.plan!.sharedName;
  try {
    await api(l).share(rdsOf(l), name, { add: job.destinations });
  } catch (err) {
    if (isRefusal(l, err)) {
      const action =
        job.kind === 'cluster' ? 'ModifyDBClusterSnapshotAttribute' : 'ModifyDBSnapshotAttribute';
      await failSource(l, {
        stage: 'share',
        reason: `sharing ${name} with ${job.destinations.join(', ')} was refused: ${describeError(err)}`,
        errorCode: errorName(err),
        action: isRdsError(err, 'SharedSnapshotQuotaExceeded')
          ? `a manual snapshot can be shared with at most 20 accounts: lower the number of destinations of policy ${job.policyName}`
          : `check that Rewind's replication role may call rds:${action} on ${name} (redeploy the replication stack); the next firing tries again`,
      });
    }
    return false;
  }
  await sourceJobs(l.deps).mark(job, 'shared', l.ctx.now().toISOString());
  return true;
}

/**
 * Stops sharing the snapshot with one account: what was done (for `cleanedUp`; nothing when the snapshot
 * is gone), or AWS's refusal; undefined when the call should be made again at the next look.
 */
export async function unshare(
  l: Look,
  account: string,
): Promise<{ cleaned?: string; refused?: string } | undefined> {
  const name = l.job.plan!.sharedName;
  try {
    await api(l).share(rdsOf(l), name, { remove: [account] });
    return { cleaned: `${name} no longer shared with ${account}` };
  } catch (err) {
    if (isRdsError(err, 'DBSnapshotNotFound') || isRdsError(err, 'DBClusterSnapshotNotFoundFault')) return {};
    return isRefusal(l, err) ? { refused: describeError(err) } : undefined;
  }
}

/** The command that stops sharing a snapshot with an account by hand. */
export function unshareCommand(l: Look, account: string): string {
  const name = l.job.plan!.sharedName;
  return l.job.kind === 'cluster'
    ? `aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier ${name} --attribute-name restore --values-to-remove ${account} --region ${l.job.sourceRegion}`
    : `aws rds modify-db-snapshot-attribute --db-snapshot-identifier ${name} --attribute-name restore --values-to-remove ${account} --region ${l.job.sourceRegion}`;
}

export type Deletion = 'deleted' | 'gone' | 'busy' | 'not-ours' | { refused: string };

/** Deletes a snapshot of this replication: only when its tags say this replication made it. */
export async function deleteOurs(l: Look, name: string): Promise<Deletion> {
  const rds = rdsOf(l);
  const found = await api(l).find(rds, name);
  if (!found) return 'gone';
  if (!madeByReplication(found, l.job.replicationId)) return 'not-ours';
  if (found.status === 'deleting') return 'deleted';
  try {
    await api(l).delete(rds, name);
    return 'deleted';
  } catch (err) {
    if (isRdsError(err, 'DBSnapshotNotFound') || isRdsError(err, 'DBClusterSnapshotNotFoundFault'))
      return 'gone';
    // A snapshot being created cannot be deleted yet.
    if (isRdsError(err, 'InvalidDBSnapshotState') || isRdsError(err, 'InvalidDBClusterSnapshotStateFault'))
      return 'busy';
    return isRefusal(l, err) ? { refused: describeError(err) } : 'busy';
  }
}

/**
 * Deletes every snapshot this replication made (the plain one and the shared one): what was deleted, and
 * what is left (a snapshot still being created cannot be deleted yet; the next look tries again).
 */
export async function deleteEverything(
  l: Look,
): Promise<{ deleted: string[]; left: { name: string; why?: string }[] }> {
  const { job } = l;
  const names = [...new Set([job.snapshotName, job.plan?.sharedName ?? job.snapshotName])];
  const deleted: string[] = [];
  const left: { name: string; why?: string }[] = [];
  for (const name of names) {
    const result = await deleteOurs(l, name);
    if (result === 'deleted') deleted.push(name);
    else if (result === 'busy') left.push({ name });
    else if (typeof result === 'object') left.push({ name, why: result.refused });
  }
  return { deleted, left };
}

/** The command that deletes a snapshot by hand. */
export function deleteCommand(l: Look, name: string): string {
  return l.job.kind === 'cluster'
    ? `aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier ${name} --region ${l.job.sourceRegion}`
    : `aws rds delete-db-snapshot --db-snapshot-identifier ${name} --region ${l.job.sourceRegion}`;
}
