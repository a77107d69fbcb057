import {
  checkBackoffSeconds,
  jobCheckOf,
  nextJobCheck,
  sendJobCheck,
  describeError,
  destinationRegion,
  errorName,
  findCluster,
  findInstance,
  idempotencyKey,
  isPermanentRdsError,
  isRdsError,
  isRetryable,
  SNAPSHOT_KINDS,
  type Envelope,
  type EventDetail,
  type RdsEvent,
  type ReplicationDestination,
  type ReplicationPolicy,
  type ServiceContext,
} from '@rewind/shared';
import type { ReplicationDeps } from './deps';
import {
  copyIdentifier,
  copyKey,
  copyTags,
  destinationStore,
  jobKey,
  jobsOf,
  refusedKey,
  REPLICATION_TAGS,
  REQUEST_PREFIX,
  runKey,
  type DestinationJob,
} from './destinationJobs';
import { fail, once, publish, type Look } from './destinationLook';
import { duration } from './sourceLook';
import { destinationReady } from './destinationReady';
import { expireCopies } from './destinationRetention';
import { planVersion, pruneVersions, recordVersion, updateSecret } from './destinationVersions';

/**
 * The destination side of a replication (docs/replication.md). A `SnapshotShared` forwarded from the
 * source account is trusted only against this account's own copy of the policy; the shared snapshot is
 * copied with this account's key, then restored through an ordinary Rewind run (`RestoreRequested` with
 * requestId `replication/<replicationId>`): in place (the destination database keeps its name), or as a
 * new version `<prefix>-<n+1>` cloned from the newest version (or the template), whose endpoint goes into a
 * secret before older versions are deleted. Then the copies beyond retention go, and the outcome is
 * announced (`ReplicationCompleted` / `ReplicationFailed`, forwarded back to the source account).
 *
 * Each replication is a job; deadline checks (delayed messages to the inbox), RDS events on the copy and
 * the run's events move it on. Every look re-reads RDS and the run, and does what is next; marks claimed
 * by conditional writes make each action happen once, so lost, repeated and reordered messages change
 * nothing.
 */

export const DESTINATION_CHECK_TYPE = 'ReplicationDestinationCheck';
const FAILED_SNAPSHOT = new Set(['failed', 'error', 'incompatible-restore']);

export type { Look };

// ---- receive ---------------------------------------------------------------------------------------

type Trusted = { policy: ReplicationPolicy; destination: ReplicationDestination };
type Refusal = { reason: string; action: string };

const REDEPLOY =
  'deploy the same rewind.config.json in both accounts (rewind deploy), then run the replication again (rewind replicate)';

/** `arn:aws:rds:<region>:<account>:snapshot|cluster-snapshot:<name>` */
function snapshotArnParts(arn: string) {
  const m = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):(snapshot|cluster-snapshot):([\w-]+)$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, type: m[3]!, name: m[4]! } : undefined;
}

/**
 * Whether this account takes the announcement: only what its own copy of the policy says counts. The
 * policy must name this account as a destination, and the event must come from the policy's source
 * account (`envelope.account`: the account that put it, kept across accounts), about its database.
 */
export function trust(
  deps: Pick<ReplicationDeps, 'policies' | 'accountId' | 'homeRegion'>,
  detail: EventDetail<'SnapshotShared'>,
  envelope: Pick<Envelope, 'account'>,
): Trusted | Refusal {
  const policy = deps.policies.find((p) => p.name === detail.policy);
  if (!policy) {
    return {
      reason: `no replication policy "${detail.policy}" in account ${deps.accountId}'s configuration: the announcement of ${detail.snapshotArn} is not acted on`,
      action: REDEPLOY,
    };
  }
  const destination = policy.destinations.find((d) => d.account === deps.accountId);
  if (!destination) {
    return {
      reason: `policy ${policy.name} in account ${deps.accountId}'s configuration has no destination for this account (it lists ${policy.destinations.map((d) => d.account).join(', ')})`,
      action: REDEPLOY,
    };
  }
  const from = envelope.account ?? 'an unknown account';
  if (envelope.account !== policy.source.account || detail.sourceAccount !== policy.source.account) {
    return {
      reason: `the announcement came from ${from} (naming source account ${detail.sourceAccount}), but policy ${policy.name} here replicates from account ${policy.source.account}: refused`,
      action: `if account ${from} is the right source, correct source.account of policy ${policy.name} and redeploy; otherwise find out why it sends announcements (its bus policy lets it put events here)`,
    };
  }
  const arn = snapshotArnParts(detail.snapshotArn);
  if (
    !arn ||
    arn.account !== policy.source.account ||
    arn.region !== policy.source.region ||
    detail.sourceIdentifier !== policy.source.identifier ||
    detail.kind !== policy.kind
  ) {
    return {
      reason: `the announcement names ${detail.kind} ${detail.sourceIdentifier} and snapshot ${detail.snapshotArn}, but policy ${policy.name} here replicates ${policy.kind} ${policy.source.identifier} of account ${policy.source.account} in ${policy.source.region}: refused`,
      action: REDEPLOY,
    };
  }
  if (!policy.enabled) {
    return {
      reason: `policy ${policy.name} is disabled in account ${deps.accountId}'s configuration`,
      action: `enable it here ("enabled": true) and redeploy, or disable it in the source account too`,
    };
  }
  const region = destinationRegion(policy, destination);
  if (region !== policy.source.region) {
    return {
      reason: `policy ${policy.name} restores in ${region}, but the snapshot is shared in ${policy.source.region}: a shared encrypted snapshot can only be copied in its own region, and Rewind does not yet make the second, cross-region copy`,
      action: `remove "region" from the destination ${deps.accountId} of policy ${policy.name} (restore in ${policy.source.region}), or copy the snapshot on with a snapshot policy`,
    };
  }
  if (region !== deps.homeRegion) {
    return {
      reason: `policy ${policy.name} restores in ${region}, but this account's Rewind runs in ${deps.homeRegion}`,
      action: `deploy Rewind in ${region} in account ${deps.accountId}`,
    };
  }
  return { policy, destination };
}

/**
 * A shared snapshot announced to this account: checked against this account's own policy, then a job
 * that copies and restores it. A refusal is answered with `ReplicationFailed` (stage `receive`), once per
 * delivered event; a repeated announcement only makes sure its job is being looked at.
 */
export async function onSnapshotShared(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  detail: EventDetail<'SnapshotShared'>,
  envelope: Envelope,
): Promise<void> {
  const store = destinationStore(deps);
  const now = ctx.now();
  const existing = await store.get(jobKey(detail.replicationId));
  if (existing) {
    ctx.log.info('announcement repeated: its replication is under way', { job: existing.pk });
    if (!existing.marks.done) await acknowledge(ctx, deps, existing);
    return;
  }
  const verdict = trust(deps, detail, envelope);
  if ('reason' in verdict) {
    const refused = {
      pk: refusedKey(envelope.id),
      seq: 0,
      marks: {},
      replicationId: detail.replicationId,
    };
    await deps.jobs.create(refused, now);
    // Claimed before it is answered, given back if the answer cannot be sent: a redelivery answers once.
    if (!(await deps.jobs.mark(refused, 'ended', now.toISOString()))) return;
    ctx.log.warn('announcement refused', { replicationId: detail.replicationId, reason: verdict.reason });
    const answer = publish(ctx, 'ReplicationFailed', {
      replicationId: detail.replicationId,
      policy: detail.policy,
      account: deps.accountId,
      sourceAccount: detail.sourceAccount,
      destinationAccount: deps.accountId,
      stage: 'receive',
      reason: verdict.reason,
      cleanedUp: [],
      action: verdict.action,
    });
    await answer.catch(async (err: unknown) => {
      await deps.jobs.unmark(refused, 'ended');
      throw err;
    });
    return;
  }
  const { policy, destination } = verdict;
  const job: DestinationJob = {
    pk: jobKey(detail.replicationId),
    seq: 0,
    marks: {},
    replicationId: detail.replicationId,
    policy: policy.name,
    kind: policy.kind,
    destination,
    region: deps.homeRegion,
    sourceAccount: policy.source.account,
    sourceRegion: policy.source.region,
    sourceIdentifier: policy.source.identifier,
    sharedSnapshotArn: detail.snapshotArn,
    sourceSnapshotArn: detail.sourceSnapshotArn,
    sharedKmsKeyId: detail.kmsKeyId,
    reencrypted: detail.reencrypted,
    copyIdentifier: copyIdentifier(detail.snapshotIdentifier),
    requestId: `${REQUEST_PREFIX}${detail.replicationId}`,
    warnings: [],
    createdAt: now.toISOString(),
  };
  if (await jobsOf(deps).create(job, now)) await jobsOf(deps).index(copyKey(job.copyIdentifier), job, now);
  await acknowledge(ctx, deps, (await store.get(job.pk))!);
}

/** `ReplicationReceived` (once), and the job's first look: the copy starts. */
async function acknowledge(ctx: ServiceContext, deps: ReplicationDeps, job: DestinationJob) {
  await once({ ctx, deps, job, pending: false }, 'received', () =>
    publish(ctx, 'ReplicationReceived', {
      replicationId: job.replicationId,
      policy: job.policy,
      sourceAccount: job.sourceAccount,
      destinationAccount: deps.accountId,
      mode: job.destination.mode,
      copyIdentifier: job.copyIdentifier,
      receivedAt: ctx.now().toISOString(),
    }),
  );
  await sendJobCheck(ctx, DESTINATION_CHECK_TYPE, job, 0);
}

// ---- checks and events ----------------------------------------------------------------------------

/** A deadline check: one look, then the next check unless the job is finished. Older chains are dropped. */
export async function onDestinationCheck(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  raw: unknown,
): Promise<void> {
  const check = jobCheckOf(raw);
  if (!check) return;
  const job = await destinationStore(deps).get(check.job);
  if (!job || job.seq !== check.seq || job.marks.done) return;
  if (await look(ctx, deps, job)) return;
  await nextJobCheck(ctx, jobsOf(deps), job, check.seq, DESTINATION_CHECK_TYPE, () =>
    checkBackoffSeconds(ctx.config.wait, job.seq),
  );
}

/** An RDS event about a replication copy (instance copies end with RDS-EVENT-0197): one look at its job. */
export async function onDestinationRdsEvent(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  rdsEvent: RdsEvent,
): Promise<void> {
  if (rdsEvent.kind !== 'snapshot' && rdsEvent.kind !== 'cluster-snapshot') return;
  if (!rdsEvent.name.startsWith('rewind-') || !rdsEvent.name.endsWith('-copy')) return;
  const job = await destinationStore(deps).byIndex(copyKey(rdsEvent.name));
  if (job && !job.marks.done) await look(ctx, deps, job);
}

type RunEventName = 'RunStarted' | 'RequestRepeated' | 'RestoreRejected' | 'RunCompleted' | 'RunFailed';

/** The job whose restore request this is (by requestId), or whose run this is (by run id). */
async function jobOfRun(
  deps: ReplicationDeps,
  requestId: string | undefined,
  runId: string | undefined,
): Promise<DestinationJob | undefined> {
  const store = destinationStore(deps);
  if (requestId?.startsWith(REQUEST_PREFIX)) return store.get(jobKey(requestId.slice(REQUEST_PREFIX.length)));
  return runId ? store.byIndex(runKey(runId)) : undefined;
}

async function recordRun(l: Look, runId: string, warnings: string[] = []) {
  const { job, deps, ctx } = l;
  if (job.runId === runId) return;
  await jobsOf(deps).set(job, { runId, warnings: [...(job.warnings ?? []), ...warnings] });
  await jobsOf(deps).index(runKey(runId), job, ctx.now());
}

/** The events of the restore run this service asked for (other runs' events are ignored). */
export async function onRunEvent<N extends RunEventName>(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  name: N,
  detail: EventDetail<N>,
): Promise<void> {
  const d = detail as EventDetail<RunEventName>;
  const requestId = 'requestId' in d ? d.requestId : undefined;
  const runId = 'run' in d ? d.run.id : 'runId' in d ? d.runId : undefined;
  const job = await jobOfRun(deps, requestId, name === 'RestoreRejected' ? undefined : runId);
  if (!job || job.marks.done || job.marks.ended) return;
  const l: Look = { ctx, deps, job, pending: false };
  if (name === 'RunStarted' || name === 'RequestRepeated') {
    const started = d as EventDetail<'RunStarted'>;
    await recordRun(l, runId!, name === 'RunStarted' ? (started.warnings ?? []) : []);
    return;
  }
  if (name === 'RestoreRejected') {
    // A run of this request exists: the rejection answers a duplicate of the request, not the request.
    if (job.runId) return;
    const rejected = d as EventDetail<'RestoreRejected'>;
    await failRestoreRejected(l, rejected.code, rejected.reason, rejected.runId);
  } else if (name === 'RunFailed') {
    const failed = d as EventDetail<'RunFailed'>;
    if (job.runId !== failed.run.id) await recordRun(l, failed.run.id);
    await fail(
      l,
      'restore',
      `restore run ${failed.run.id} of ${failed.run.identifier} failed at ${failed.failedStep}: ${failed.reason}`,
      restoreFailedAction(job, failed.rolledBack, failed.run.id),
      { runId: failed.run.id, rolledBack: failed.rolledBack },
    );
  } else if (name === 'RunCompleted') {
    const completed = d as EventDetail<'RunCompleted'>;
    if (job.runId !== completed.run.id) await recordRun(l, completed.run.id);
    await once(l, 'restore:completed', async () => {});
  }
  await finishLook(l);
}

// ---- one look ------------------------------------------------------------------------------------

/** One look at a job: does what is next; true when nothing is left to do. */
export async function look(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  job: DestinationJob,
): Promise<boolean> {
  return finishLook({ ctx, deps, job, pending: false });
}

async function finishLook(l: Look): Promise<boolean> {
  const { ctx, deps, job } = l;
  if (job.marks.done) return true;
  if (!job.marks.ended) {
    const ready =
      (await copyPart(l)) && (await restorePart(l)) && (await resultPart(l)) && (await versionedPart(l));
    if (ready) {
      await once(l, 'retention', () => expireCopies(l));
      await complete(l);
    }
  }
  if (!job.marks.ended && l.pending) {
    const expired =
      ctx.now().getTime() - new Date(job.createdAt).getTime() > ctx.config.wait.deadlines.copy * 1000;
    // A run under way ends by itself (completed, failed, rolled back): its end decides, never the clock,
    // and its copy is not deleted under it.
    if (!expired || job.runId) return false;
    await fail(
      l,
      job.copyArn ? 'restore' : 'copy',
      `replication ${job.replicationId} was still ${job.copyArn ? 'waiting for its restore run to start' : `copying ${job.copyIdentifier}`} after ${duration(ctx.config.wait.deadlines.copy)}`,
      job.copyArn
        ? `the restore service did not answer its request ${job.requestId}: look at its inbox and dead letters (rewind dlq); the next replication runs as usual`
        : `look at the copy (aws rds describe-db-snapshots --db-snapshot-identifier ${job.copyIdentifier}); the next replication runs as usual`,
    );
  }
  if (!job.marks.ended) return false;
  await jobsOf(deps).mark(job, 'done', ctx.now().toISOString());
  ctx.log.info('replication job finished', { job: job.pk });
  return true;
}

/**
 * Judges an error from a call that starts something: RDS's answer (permanent) ends the replication with
 * `fail`; throttling and 5xx leave it pending for the next look.
 */
async function refused(l: Look, err: unknown, fail: () => Promise<unknown>): Promise<void> {
  if (isRetryable(err) || !isPermanentRdsError(err)) {
    l.ctx.log.warn('call not accepted yet; the next check tries again', {
      job: l.job.pk,
      error: describeError(err),
    });
    l.pending = true;
    return;
  }
  await fail();
}

function keyFix(job: DestinationJob): string {
  const src = job.sharedKmsKeyId ?? '(the source key)';
  return (
    `the source account's key ${src} must let account ${job.destination.account} use it: its key policy needs a statement for arn:aws:iam::${job.destination.account}:root ` +
    `with kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:ReEncrypt*, kms:GenerateDataKey* (rewind replication key-policy --policy ${job.policy} prints it); ` +
    `and this account's key ${job.destination.kmsKeyId} must exist, be enabled and let Rewind's replication role use it. Then run the replication again (rewind replicate)`
  );
}

/** The copy of the shared snapshot with this account's key: started once, then waited on. */
async function copyPart(l: Look): Promise<boolean> {
  const { ctx, deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(job.region);
  const name = job.copyIdentifier;
  const found = await api.find(rds, name);
  if (!found) {
    if (job.marks['copy:requested']) {
      await fail(
        l,
        'copy',
        `the copy ${name} of ${job.sharedSnapshotArn} disappeared before it was available (the copy failed or was cancelled)`,
        `check that ${job.sharedSnapshotArn} is still shared with account ${job.destination.account}; ${keyFix(job)}`,
      );
      return false;
    }
    if (!(await destinationReady(l))) return false;
    if (!(await jobsOf(deps).mark(job, 'copy:requested', ctx.now().toISOString()))) {
      l.pending = true;
      return false;
    }
    try {
      await api.copy(rds, {
        sourceArn: job.sharedSnapshotArn,
        name,
        // RDS refuses a key for the copy of an unencrypted cluster snapshot; an instance snapshot copy
        // with a key is encrypted with it.
        kmsKeyId: job.kind === 'cluster' && !job.sharedKmsKeyId ? undefined : job.destination.kmsKeyId,
        tags: copyTags(job),
      });
    } catch (err) {
      if (!isRdsError(err, api.alreadyExists)) {
        await jobsOf(deps).unmark(job, 'copy:requested');
        if (isRdsError(err, 'KMSKeyNotAccessibleFault')) {
          await fail(
            l,
            'copy',
            `${api.copyAction} of ${job.sharedSnapshotArn} refused: a KMS key is not accessible (${describeError(err)})`,
            keyFix(job),
            { errorCode: errorName(err) },
          );
          return false;
        }
        await refused(l, err, () =>
          fail(
            l,
            'copy',
            `${api.copyAction} of ${job.sharedSnapshotArn} into ${name} refused: ${describeError(err)}`,
            isRdsError(err, 'SnapshotQuotaExceeded')
              ? `free room for manual snapshots in ${job.region} (delete old ones, or ask AWS for a higher quota), then run the replication again`
              : `check that ${job.sharedSnapshotArn} is shared with account ${job.destination.account}; then run the replication again (rewind replicate)`,
            { errorCode: errorName(err) },
          ),
        );
        return false;
      }
    }
    l.pending = true;
    return false;
  }
  if (found.tags[REPLICATION_TAGS.replicationId] !== job.replicationId) {
    // Never restore from, nor delete, a snapshot this replication did not make.
    await fail(
      l,
      'copy',
      `a snapshot named ${name} exists in account ${deps.accountId} and is not the copy of replication ${job.replicationId} (its tag ${REPLICATION_TAGS.replicationId} is ${found.tags[REPLICATION_TAGS.replicationId] ?? 'absent'}): it is left alone`,
      `rename or delete that snapshot if it is not needed; the next replication copies under its own name`,
    );
    return false;
  }
  if (FAILED_SNAPSHOT.has(found.status)) {
    await fail(l, 'copy', `the copy ${name} ended in status ${found.status}`, keyFix(job), {
      errorCode: found.status,
    });
    return false;
  }
  if (found.status !== 'available') {
    l.pending = true;
    return false;
  }
  if (job.copyArn !== found.arn) await jobsOf(deps).set(job, { copyArn: found.arn });
  return true;
}

/** The restore through a Rewind run: asked once, then followed (its events, or the run record). */
async function restorePart(l: Look): Promise<boolean> {
  const { ctx, deps, job } = l;
  if (job.marks['restore:completed']) return true;
  if (!job.marks['restore:requested']) {
    if (!(await jobsOf(deps).mark(job, 'restore:requested', ctx.now().toISOString()))) {
      l.pending = true;
      return false;
    }
    try {
      await requestRestore(l);
    } catch (err) {
      await jobsOf(deps).unmark(job, 'restore:requested');
      throw err;
    }
    l.pending = !job.marks.ended;
    return false;
  }
  // Backstop for lost run events: the run the request started, and where it stands.
  const restore = job.restore!;
  if (!job.runId) {
    const held = await ctx.store.claimedRunId(
      idempotencyKey.request(job.kind, restore.identifier, job.requestId),
    );
    if (held) await recordRun(l, held);
  }
  const run = job.runId ? await ctx.store.getRun(job.runId) : undefined;
  if (run?.status === 'completed') {
    await once(l, 'restore:completed', async () => {});
    return true;
  }
  if (run && (run.status === 'failed' || run.status === 'rollback-failed')) {
    const rolledBack = run.status === 'failed';
    await fail(
      l,
      'restore',
      `restore run ${run.runId} of ${run.identifier} failed${run.failure ? ` at ${run.failure.step}: ${run.failure.reason}` : ''}`,
      restoreFailedAction(job, rolledBack, run.runId),
      { runId: run.runId, rolledBack },
    );
    return false;
  }
  l.pending = true;
  return false;
}

/** Publishes the `RestoreRequested` of this replication (the same request when asked again). */
async function requestRestore(l: Look): Promise<void> {
  const { ctx, deps, job } = l;
  const d = job.destination;
  const isCluster = job.kind === 'cluster';
  if (d.mode === 'in-place') {
    await jobsOf(deps).set(job, { restore: { identifier: d.identifier } });
    await publish(ctx, 'RestoreRequested', {
      identifier: d.identifier,
      task: 'db_restore',
      snapshotIdentifier: job.copyIdentifier,
      // The copy is of the source database: no "another database" warning (and alert) at each firing.
      snapshotOf: job.sourceIdentifier,
      strategy: d.strategy,
      isCluster,
      requestId: job.requestId,
    });
    return;
  }
  const restore = job.restore ?? (await planVersion(l, d));
  if (!restore) return;
  if (!job.restore) await jobsOf(deps).set(job, { restore });
  await publish(ctx, 'RestoreRequested', {
    identifier: restore.identifier,
    task: 'clone',
    targetIdentifier: restore.targetIdentifier,
    snapshotIdentifier: job.copyIdentifier,
    snapshotOf: job.sourceIdentifier,
    isCluster,
    requestId: job.requestId,
    // The copy is encrypted with the key the policy names for this account: the new version takes it.
    acceptKmsKeyId: d.kmsKeyId,
  });
}

function restoreFailedAction(job: DestinationJob, rolledBack: boolean, runId: string): string {
  const d = job.destination;
  if (d.mode === 'versioned')
    return `nothing was changed in the versions in use (a failed clone deletes what it created); see rewind status ${runId}, fix the cause and run the replication again (rewind replicate)`;
  return rolledBack
    ? `${d.identifier} is back as it was (the run rolled back); see rewind status ${runId}, fix the cause and run the replication again (rewind replicate)`
    : `${d.identifier} may NOT be back as it was: follow the run's RollbackFailed alert (rewind status ${runId}) first`;
}

async function failRestoreRejected(l: Look, code: string, reason: string, runId: string) {
  const d = l.job.destination;
  const hint =
    code === 'not-opted-in'
      ? `tag ${d.mode === 'in-place' ? d.identifier : (l.job.restore?.identifier ?? 'the template')} with the opt-in tag, then run the replication again`
      : code === 'incompatible-snapshot'
        ? `the source database and ${d.mode === 'in-place' ? d.identifier : 'the template'} must match (engine, major version; in place, the destination's kmsKeyId should be the database's key); fix the policy or the database, then run the replication again`
        : 'fix the cause the reason names, then run the replication again (rewind replicate)';
  await fail(l, 'restore', `the restore was rejected (${code}): ${reason}`, `nothing was changed; ${hint}`, {
    runId,
    errorCode: code,
  });
}

/** The database that holds the data now: its resource id and endpoint. */
async function resultPart(l: Look): Promise<boolean> {
  const { deps, job } = l;
  if (job.result) return true;
  const rds = deps.rdsIn(job.region);
  const identifier =
    job.destination.mode === 'in-place' ? job.destination.identifier : job.restore!.targetIdentifier!;
  const result: NonNullable<DestinationJob['result']> = { identifier };
  if (job.kind === 'cluster') {
    const c = await findCluster(rds, identifier);
    Object.assign(result, { resourceId: c?.DbClusterResourceId, address: c?.Endpoint, port: c?.Port });
  } else {
    const i = await findInstance(rds, identifier);
    Object.assign(result, {
      resourceId: i?.DbiResourceId,
      address: i?.Endpoint?.Address,
      port: i?.Endpoint?.Port,
    });
  }
  if (!result.resourceId) {
    // The run completed a moment ago: RDS not showing the database yet is looked at again.
    l.pending = true;
    return false;
  }
  await jobsOf(deps).set(job, { result });
  return true;
}

/** versioned: the new version recorded, the secret pointed at it, older versions pruned. */
async function versionedPart(l: Look): Promise<boolean> {
  if (l.job.destination.mode !== 'versioned') return true;
  await once(l, 'version:recorded', () => recordVersion(l));
  if (l.job.destination.secret && !l.job.marks['secret:done']) {
    if (!(await updateSecret(l))) return false;
    await once(l, 'secret:done', async () => {});
  }
  if (!l.job.marks['prune:done']) {
    if (!(await pruneVersions(l))) return false;
    await once(l, 'prune:done', async () => {});
  }
  return true;
}

async function complete(l: Look) {
  const { ctx, deps, job } = l;
  const result = job.result!;
  await once(l, 'ended', () =>
    publish(ctx, 'ReplicationCompleted', {
      replicationId: job.replicationId,
      policy: job.policy,
      kind: job.kind,
      sourceAccount: job.sourceAccount,
      sourceIdentifier: job.sourceIdentifier,
      destinationAccount: deps.accountId,
      destinationRegion: job.region,
      mode: job.destination.mode,
      identifier: result.identifier,
      resourceId: result.resourceId,
      endpoint: result.address ? { address: result.address, port: result.port } : undefined,
      runId: job.runId!,
      lineage: {
        sourceSnapshotArn: job.sourceSnapshotArn,
        sharedSnapshotArn: job.sharedSnapshotArn,
        copySnapshotArn: job.copyArn!,
      },
      secret: job.secret,
      versions: job.versions,
      warnings: job.warnings ?? [],
      durationMs: Math.max(0, ctx.now().getTime() - new Date(job.createdAt).getTime()),
    }),
  );
}
