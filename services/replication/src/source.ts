import {
  checkBackoffSeconds,
  jobCheckOf,
  nextJobCheck,
  ackOf,
  describeError,
  isRdsError,
  isReplicationSnapshot,
  outcomeOf,
  parseEvent,
  peerBusArn,
  replicationIdOf,
  replicationSnapshotName,
  retentionInRegion,
  snapshotsInUse,
  SNAPSHOT_KINDS,
  sourceFailureOf,
  sourceJobByReplication,
  sourceJobBySnapshot,
  sourceJobKey,
  type DestinationOutcome,
  type Envelope,
  type EventDetail,
  type EventInput,
  type EventName,
  type RdsEvent,
  type ServiceContext,
  type SourceFailure,
  type SourceJob,
  type WaitConfig,
} from '@rewind/shared';
import type { ReplicationDeps } from './deps';
import { duration, isRefusal, once, passed, sourceJobs, type Look } from './sourceLook';
import { selectPart } from './sourceSelect';
import {
  deleteCommand,
  deleteEverything,
  deleteOurs,
  shareableSnapshot,
  sharePart,
  unshare,
  unshareCommand,
} from './sourceSnapshots';

/**
 * The source side of a replication (docs/replication.md). A firing or request becomes a job; each look at
 * it (a deadline check, an RDS event about its snapshot, an answer of a destination) does what is next:
 * select (the database, and how its snapshot becomes shareable, before anything is taken), snapshot,
 * re-encrypt, share, announce one `SnapshotShared` per destination, wait for their answers (an ack
 * deadline, then an outcome deadline), stop sharing with each destination once it answered, and, once all
 * did, the source's retention. A failure before sharing deletes what this replication made and ends in one
 * `ReplicationFailed`; a destination that refuses or never answers gets its own.
 */

export const SOURCE_CHECK_TYPE = 'ReplicationSourceCheck';

async function publish<N extends EventName>(ctx: ServiceContext, name: N, detail: EventInput<N>) {
  await ctx.publisher.publish(name, detail);
}

/**
 * How long a destination that acknowledged may take to report its outcome: as long as it may take to copy
 * and start its run (after which it gives up itself), then a restore and a rollback. Never shorter than
 * the destination's own deadline: the shared snapshot must outlive the copy being made of it.
 */
export function outcomeSeconds(wait: WaitConfig): number {
  return wait.deadlines.copy + wait.deadlines.restore + wait.deadlines.rollback;
}

// ---- intake ---------------------------------------------------------------------------------------------

/** Refusals decided from the configuration alone (nothing is looked at in RDS). */
function configRefusal(
  deps: ReplicationDeps,
  detail: EventDetail<'ReplicationRequested'>,
): Omit<SourceFailure, 'at'> | undefined {
  const policy = deps.policies.find((p) => p.name === detail.policy);
  if (!policy) {
    const known = deps.policies.map((p) => p.name).join(', ') || 'none';
    return {
      stage: 'select',
      reason: `no replication policy named ${detail.policy} in this deployment (account ${deps.accountId}; policies: ${known})`,
      action:
        'check the name, or add the policy to the replication section of rewind.config.json and redeploy',
    };
  }
  if (policy.source.account !== deps.accountId) {
    return {
      stage: 'select',
      reason: `policy ${policy.name} replicates from account ${policy.source.account}; this Rewind runs in account ${deps.accountId}`,
      action: `ask the Rewind of account ${policy.source.account} (rewind replicate with that account's credentials)`,
    };
  }
  const accounts = policy.destinations.map((d) => d.account);
  const unknown = (detail.destinations ?? []).filter((a) => !accounts.includes(a));
  if (unknown.length) {
    return {
      stage: 'select',
      reason: `${unknown.join(', ')} ${unknown.length > 1 ? 'are not destinations' : 'is not a destination'} of policy ${policy.name} (its destinations: ${accounts.join(', ')})`,
      action: `name only destinations of the policy, or add the account to its destinations and redeploy in both accounts`,
    };
  }
  return undefined;
}

const POLICY_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * A `ReplicationRequested` as it arrived: a valid one goes on (`onReplicationRequested`); any other is
 * answered with a `ReplicationFailed` at `select` saying what is wrong and what a request looks like, once
 * per event (a job keyed by the event id remembers the answer), never left to retries and the DLQ.
 */
export async function onRawReplicationRequested(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  raw: unknown,
  envelope: Envelope,
): Promise<void> {
  const parsed = parseEvent('ReplicationRequested', raw);
  if (parsed.ok) return onReplicationRequested(ctx, deps, parsed.value, envelope);
  const named = (raw as { policy?: unknown } | null)?.policy;
  const policy = typeof named === 'string' && POLICY_NAME.test(named) ? named : 'invalid-request';
  const jobs = sourceJobs(deps);
  const now = ctx.now();
  const pk = `REPLSRC#invalid#${envelope.id}`;
  await jobs.create({ pk, seq: 0, marks: {} } as unknown as SourceJob, now);
  const job = await jobs.get(pk);
  if (!job || job.marks.answered) return;
  ctx.log.warn('replication request refused: invalid', { eventId: envelope.id, reason: parsed.message });
  await publish(ctx, 'ReplicationFailed', {
    replicationId: `repl-invalid-${envelope.id}`.slice(0, 128),
    policy,
    account: deps.accountId,
    sourceAccount: deps.accountId,
    stage: 'select',
    reason: `the ReplicationRequested is not valid: ${parsed.message}`.slice(0, 1500),
    action:
      'send { "policy": "<a replication policy of this account>", "destinations"?: ["<12-digit account>"], "requestId"?: "..." } (rewind replicate <db> --to <account> builds it)',
  });
  await jobs.mark(job, 'answered', now.toISOString());
}

/**
 * A firing of a replication policy (EventBridge Scheduler) or a request (`rewind replicate`): one job,
 * whose first look runs at once. A repeated firing or request finds its job and starts nothing new.
 */
export async function onReplicationRequested(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  detail: EventDetail<'ReplicationRequested'>,
  envelope: Envelope,
): Promise<void> {
  const now = ctx.now();
  const jobs = sourceJobs(deps);
  const key = { scheduledTime: detail.scheduledTime, requestId: detail.requestId, eventId: envelope.id };
  const policy = deps.policies.find((p) => p.name === detail.policy);
  const refusal = configRefusal(deps, detail);
  const all = policy?.destinations.map((d) => d.account) ?? [];
  const at = detail.scheduledTime ?? now.toISOString();
  const snapshotName = replicationSnapshotName(detail.policy, new Date(at));
  const job: SourceJob = {
    pk: sourceJobKey(detail.policy, key),
    seq: 0,
    marks: refusal ? { failed: JSON.stringify({ ...refusal, at: now.toISOString() }) } : {},
    replicationId: replicationIdOf(detail.policy, { ...key, now }),
    policyName: detail.policy,
    policy,
    kind: policy?.kind ?? 'instance',
    sourceAccount: policy?.source.account ?? deps.accountId,
    sourceRegion: policy?.source.region ?? deps.homeRegion,
    sourceIdentifier: policy?.source.identifier ?? '',
    destinations: refusal ? all : [...new Set(detail.destinations ?? all)],
    scheduledTime: detail.scheduledTime,
    requestId: detail.requestId,
    requestedBy: detail.requestedBy,
    at,
    snapshotName,
    createdAt: now.toISOString(),
  };
  // Indexed first (an idempotent put): an answer always finds the job.
  await jobs.index(sourceJobByReplication(job.replicationId), job, now);
  if (!(await jobs.create(job, now)))
    ctx.log.info('replication asked again: its job goes on', { replicationId: job.replicationId });
  const current = await jobs.get(job.pk);
  if (current && !current.marks.done) await advance(ctx, deps, current, current.seq);
}

// ---- checks -----------------------------------------------------------------------------------------------

function checkDelay(l: Look): number {
  const backoff = checkBackoffSeconds(l.ctx.config.wait, l.job.seq);
  const untilDeadline =
    l.wakeAt === undefined ? backoff : Math.ceil((l.wakeAt - l.ctx.now().getTime()) / 1000);
  return Math.max(1, Math.round(Math.min(backoff, untilDeadline)));
}

/** One look, then the next check of the chain (a chain carrying an older number dies). */
async function advance(ctx: ServiceContext, deps: ReplicationDeps, job: SourceJob, seq: number) {
  const l: Look = { ctx, deps, job, pending: false };
  if (await look(l)) return;
  await nextJobCheck(ctx, sourceJobs(deps), job, seq, SOURCE_CHECK_TYPE, () => checkDelay(l));
}

export async function onSourceCheck(ctx: ServiceContext, deps: ReplicationDeps, raw: unknown): Promise<void> {
  const check = jobCheckOf(raw);
  if (!check) return;
  const job = await sourceJobs(deps).get(check.job);
  if (!job || job.seq !== check.seq || job.marks.done) return;
  await advance(ctx, deps, job, check.seq);
}

/** An RDS event about one of the snapshots a replication makes: one look at its job. */
export async function onSourceRdsEvent(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  event: RdsEvent,
): Promise<void> {
  if (event.kind !== 'snapshot' && event.kind !== 'cluster-snapshot') return;
  if (!event.name.startsWith('rewind-repl-')) return;
  const job = await sourceJobs(deps).byIndex(sourceJobBySnapshot(event.name));
  if (job && !job.marks.done) await look({ ctx, deps, job, pending: false });
}

// ---- answers ------------------------------------------------------------------------------------------

async function jobOfAnswer(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  replicationId: string,
  policy: string,
  account: string | undefined,
): Promise<SourceJob | undefined> {
  const job = await sourceJobs(deps).byIndex(sourceJobByReplication(replicationId));
  if (!job || job.policyName !== policy || !account || !job.destinations.includes(account)) {
    ctx.log.warn('answer about no replication of this account to that destination: ignored', {
      replicationId,
      policy,
      account,
    });
    return undefined;
  }
  return job;
}

async function recordOutcome(
  l: Look,
  account: string,
  outcome: Omit<DestinationOutcome, 'at'>,
): Promise<void> {
  const value = JSON.stringify({ ...outcome, at: l.ctx.now().toISOString() });
  if (!(await sourceJobs(l.deps).mark(l.job, `outcome:${account}`, value))) {
    l.ctx.log.info('destination outcome known already: kept', {
      replicationId: l.job.replicationId,
      account,
      ignored: outcome.state,
    });
  }
}

/**
 * An answer of a destination account (forwarded to this bus): recorded on the job (the first outcome
 * wins), then a look (stop sharing with it; when all answered, retention). Only the destination the
 * answer is about may give it: EventBridge keeps the account that put the event.
 */
export async function onPeerAnswer(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  name: 'ReplicationReceived' | 'ReplicationCompleted' | 'ReplicationFailed',
  detail: EventDetail<'ReplicationReceived' | 'ReplicationCompleted' | 'ReplicationFailed'>,
  envelope: Envelope,
): Promise<void> {
  const account = detail.destinationAccount ?? envelope.account;
  if (envelope.account && account !== envelope.account) {
    ctx.log.warn('answer put by another account than the destination it is about: ignored', {
      replicationId: detail.replicationId,
      about: account,
      putBy: envelope.account,
    });
    return;
  }
  const job = await jobOfAnswer(ctx, deps, detail.replicationId, detail.policy, account);
  if (!job || !account) return;
  const l: Look = { ctx, deps, job, pending: false };
  const now = ctx.now().toISOString();
  if (name === 'ReplicationReceived') {
    const d = detail as EventDetail<'ReplicationReceived'>;
    await sourceJobs(deps).mark(
      job,
      `ack:${account}`,
      JSON.stringify({ at: now, mode: d.mode, copyIdentifier: d.copyIdentifier }),
    );
  } else if (name === 'ReplicationCompleted') {
    const d = detail as EventDetail<'ReplicationCompleted'>;
    await recordOutcome(l, account, { state: 'completed', runId: d.runId, identifier: d.identifier });
  } else {
    const d = detail as EventDetail<'ReplicationFailed'>;
    await recordOutcome(l, account, {
      state: 'failed',
      stage: d.stage,
      reason: d.reason,
      errorCode: d.errorCode,
      runId: d.runId,
      rolledBack: d.rolledBack,
      cleanedUp: d.cleanedUp,
      action: d.action,
    });
  }
  if (!job.marks.done) await look(l);
}

/**
 * One of our announcements, dead-lettered into this inbox because the destination's bus refused it (its
 * bus policy does not let this account put events): that destination failed at `announce`.
 */
export async function onBounced(
  ctx: ServiceContext,
  deps: ReplicationDeps,
  detail: EventDetail<'SnapshotShared'>,
  envelope: Envelope,
): Promise<void> {
  if (detail.sourceAccount !== deps.accountId) return;
  const job = await jobOfAnswer(ctx, deps, detail.replicationId, detail.policy, detail.destinationAccount);
  if (!job) return;
  const l: Look = { ctx, deps, job, pending: false };
  const bounced = envelope.deadLettered!;
  await recordOutcome(l, detail.destinationAccount, {
    state: 'bounced',
    reason: `the Rewind bus of account ${detail.destinationAccount} refused the announcement of ${detail.snapshotIdentifier}: ${bounced.message || bounced.code}${bounced.targetArn ? ` (target ${bounced.targetArn})` : ''}`,
    errorCode: bounced.code,
  });
  if (!job.marks.done) await look(l);
}

// ---- one look -----------------------------------------------------------------------------------------

/** One look at a job: does what is next; true when nothing is left to do. */
async function look(l: Look): Promise<boolean> {
  const { job } = l;
  if (job.marks.done) return true;
  if (!job.marks.failed && !job.marks.selected) await selectPart(l);
  if (!job.marks.failed && job.marks.selected) await forward(l);
  if (job.marks.failed) return failedPart(l);
  if (!job.marks.shared || job.destinations.some((a) => !job.marks[`announced:${a}`])) {
    l.pending = true;
    return false;
  }
  return answersPart(l);
}

/** Select done: started, snapshot, re-encrypt, share, announce. */
async function forward(l: Look): Promise<void> {
  const { ctx, deps, job } = l;
  await once(l, 'started', () =>
    publish(ctx, 'ReplicationStarted', {
      replicationId: job.replicationId,
      policy: job.policyName,
      kind: job.kind,
      sourceAccount: job.sourceAccount,
      sourceRegion: job.sourceRegion,
      sourceIdentifier: job.sourceIdentifier,
      destinations: job.destinations,
      scheduledTime: job.scheduledTime,
      requestId: job.requestId,
      snapshotIdentifier: job.snapshotName,
      startedAt: ctx.now().toISOString(),
    }),
  );
  const arn = await shareableSnapshot(l);
  if (!arn || job.marks.failed || !(await sharePart(l))) return;
  const plan = job.plan!;
  for (const account of job.destinations) {
    await once(l, `announced:${account}`, () =>
      publish(ctx, 'SnapshotShared', {
        replicationId: job.replicationId,
        policy: job.policyName,
        kind: job.kind,
        sourceAccount: deps.accountId,
        sourceRegion: job.sourceRegion,
        sourceIdentifier: job.sourceIdentifier,
        destinationAccount: account,
        snapshotIdentifier: plan.sharedName,
        snapshotArn: arn,
        sourceSnapshotArn: job.sourceSnapshotArn ?? arn,
        kmsKeyId: plan.kmsKeyId,
        reencrypted: plan.reencrypt,
        snapshotCreateTime: job.snapshotCreateTime,
        sharedAt: ctx.now().toISOString(),
      }),
    );
  }
}

/** The whole replication failed before sharing: delete what it made, alert once, done. */
async function failedPart(l: Look): Promise<boolean> {
  const { ctx, deps, job } = l;
  const failure = sourceFailureOf(job)!;
  const { deleted, left } = job.marks['snapshot:requested']
    ? await deleteEverything(l)
    : { deleted: [], left: [] };
  const leftNote = left.length
    ? `; left for now: ${left.map((x) => x.name + (x.why ? ` (${x.why})` : '')).join(', ')}: Rewind deletes it once it can, else delete it by hand: ${left.map((x) => deleteCommand(l, x.name)).join('; ')}`
    : '';
  const cleanedUp = deleted.map((name) => `deleted ${name}`);
  // The mark keeps what the alert said (for rewind replication status and the console).
  await once(
    l,
    'alerted',
    () =>
      publish(ctx, 'ReplicationFailed', {
        replicationId: job.replicationId,
        policy: job.policyName,
        account: deps.accountId,
        sourceAccount: job.sourceAccount,
        stage: failure.stage,
        reason: failure.reason,
        errorCode: failure.errorCode,
        cleanedUp,
        action: failure.action + leftNote,
      }),
    JSON.stringify({ at: ctx.now().toISOString(), cleanedUp, action: failure.action + leftNote }),
  );
  if (left.length && !passed(l, failure.at, ctx.config.wait.deadlines.snapshot)) {
    l.pending = true;
    return false;
  }
  await sourceJobs(deps).mark(job, 'done', ctx.now().toISOString());
  ctx.log.info('replication ended at the source', { replicationId: job.replicationId, stage: failure.stage });
  return true;
}

/** Shared and announced: deadlines, stop sharing with who answered, alerts, then retention. */
async function answersPart(l: Look): Promise<boolean> {
  const { ctx, deps, job } = l;
  const jobs = sourceJobs(deps);
  const wait = ctx.config.wait;
  for (const account of job.destinations) {
    if (outcomeOf(job, account)) continue;
    const ack = ackOf(job, account);
    if (!ack && passed(l, job.marks[`announced:${account}`]!, wait.deadlines.ack)) {
      await recordOutcome(l, account, {
        state: 'no-answer',
        reason: `account ${account} did not acknowledge the shared snapshot within ${duration(wait.deadlines.ack)} (no ReplicationReceived)`,
      });
    } else if (ack && passed(l, ack.at, outcomeSeconds(wait))) {
      await recordOutcome(l, account, {
        state: 'no-answer',
        reason: `account ${account} acknowledged the shared snapshot at ${ack.at} but reported no outcome within ${duration(outcomeSeconds(wait))}`,
      });
    }
  }
  // A destination that answered no longer needs the snapshot: it stops being shared with it.
  for (const account of job.destinations) {
    if (!outcomeOf(job, account) || job.marks[`unshared:${account}`]) continue;
    const result = await unshare(l, account);
    if (!result) continue;
    if (result.refused) {
      await once(l, `unshare-alerted:${account}`, () =>
        publish(ctx, 'ReplicationFailed', {
          replicationId: job.replicationId,
          policy: job.policyName,
          account: deps.accountId,
          sourceAccount: job.sourceAccount,
          destinationAccount: account,
          stage: 'cleanup',
          reason: `could not stop sharing ${job.plan!.sharedName} with ${account}: ${result.refused}`,
          errorCode: 'UnshareRefused',
          cleanedUp: [],
          action: `stop sharing it by hand: ${unshareCommand(l, account)}`,
        }),
      );
    }
    await jobs.mark(job, `unshared:${account}`, result.cleaned ?? '');
  }
  const answered = job.destinations.every((a) => outcomeOf(job, a));
  const used = job.destinations.some((a) => outcomeOf(job, a)?.state === 'completed');
  // Once all answered and none holds the data, the snapshot serves nothing: it is deleted.
  if (answered && !used && !job.marks.cleaned) {
    const { deleted, left } = await deleteEverything(l);
    if (left.length && !passed(l, job.marks.shared!, wait.deadlines.snapshot + outcomeSeconds(wait)))
      l.pending = true;
    else await jobs.mark(job, 'cleaned', JSON.stringify(deleted.map((n) => `deleted ${n}`)));
  }
  await alertLocalFailures(l, answered && !used);
  if (!answered || l.pending) {
    l.pending = true;
    return false;
  }
  await once(l, 'retention', async () => {
    // A plain snapshot whose deletion after the re-encryption did not go through goes now.
    if (job.plan?.reencrypt) await deleteOurs(l, job.snapshotName);
    await retention(l);
  });
  await jobs.mark(job, 'done', ctx.now().toISOString());
  ctx.log.info('replication finished at the source', { replicationId: job.replicationId });
  return true;
}

/** A ReplicationFailed for each destination that failed here (refused the announcement, never answered). */
async function alertLocalFailures(l: Look, cleaning: boolean) {
  const { ctx, deps, job } = l;
  const me = deps.accountId;
  for (const account of job.destinations) {
    const outcome = outcomeOf(job, account);
    if (!outcome || (outcome.state !== 'bounced' && outcome.state !== 'no-answer')) continue;
    const unshared = job.marks[`unshared:${account}`];
    if (unshared === undefined || (cleaning && !job.marks.cleaned)) continue;
    const cleanedUp = [
      ...(unshared ? [unshared] : []),
      ...(job.marks.cleaned ? (JSON.parse(job.marks.cleaned) as string[]) : []),
    ];
    const statement = {
      Sid: `rewind-replication-${me}`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${me}:root` },
      Action: 'events:PutEvents',
      Resource: peerBusArn(deps.homeRegion, account, ctx.config.busName),
    };
    const action =
      outcome.state === 'bounced'
        ? `the destination bus policy must let account ${me} put events: deploy Rewind in account ${account} with policy ${job.policyName} in its rewind.config.json (its bus policy then allows this account), or add this statement to the policy of its bus: ${JSON.stringify(statement)}; the next firing announces again`
        : `check that Rewind runs in account ${account} with policy ${job.policyName} in its rewind.config.json, and its replication inbox and DLQ (rewind dlq, in that account); the next firing announces again`;
    await once(
      l,
      `alerted:${account}`,
      () =>
        publish(ctx, 'ReplicationFailed', {
          replicationId: job.replicationId,
          policy: job.policyName,
          account: me,
          sourceAccount: job.sourceAccount,
          destinationAccount: account,
          stage: 'announce',
          reason: outcome.reason ?? outcome.state,
          errorCode: outcome.errorCode ?? (outcome.state === 'no-answer' ? 'NoAnswer' : undefined),
          cleanedUp,
          action,
        }),
      JSON.stringify({ at: ctx.now().toISOString(), cleanedUp, action }),
    );
  }
}

/** The source's retention of the policy's shared snapshots (never one still shared or a run needs). */
async function retention(l: Look): Promise<void> {
  const { ctx, deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(job.sourceRegion);
  const { plan } = await retentionInRegion({
    rds,
    region: job.sourceRegion,
    kind: job.kind,
    policy: job.policyName,
    identifier: job.sourceIdentifier,
    retention: job.policy!.retention,
    asOf: new Date(job.at),
    inUse: await snapshotsInUse(ctx.store),
    belongs: (s) => isReplicationSnapshot(s, job.policyName, job.sourceIdentifier),
  });
  const deleted: string[] = [];
  const kept = plan.keep.map((k) => `${k.snapshotIdentifier} (${k.reason})`);
  for (const d of plan.delete) {
    try {
      await api.delete(rds, d.snapshotIdentifier);
      deleted.push(d.snapshotIdentifier);
    } catch (err) {
      if (isRdsError(err, 'DBSnapshotNotFound') || isRdsError(err, 'DBClusterSnapshotNotFoundFault'))
        continue;
      if (!isRefusal(l, err)) throw err;
      kept.push(`${d.snapshotIdentifier} (deletion refused: ${describeError(err)})`);
      await publish(ctx, 'ReplicationFailed', {
        replicationId: job.replicationId,
        policy: job.policyName,
        account: deps.accountId,
        sourceAccount: job.sourceAccount,
        stage: 'cleanup',
        reason: `retention could not delete ${d.snapshotIdentifier}: ${describeError(err)}`,
        errorCode: 'RetentionRefused',
        cleanedUp: [],
        action: `it is kept; delete it by hand if it is not needed: ${deleteCommand(l, d.snapshotIdentifier)}`,
      });
    }
  }
  await sourceJobs(deps).set(job, { retention: { deleted, kept } });
  ctx.log.info('replication retention applied at the source', {
    replicationId: job.replicationId,
    deleted: deleted.length,
    kept: kept.length,
  });
}
