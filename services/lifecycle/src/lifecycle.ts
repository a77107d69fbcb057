import { createHash } from 'node:crypto';
import {
  DescribeAccountAttributesCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeExportTasksCommand,
  StartExportTaskCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import {
  checkBackoffSeconds,
  jobCheckOf,
  nextJobCheck,
  sendJobCheck,
  exportInProgress,
  describeError,
  errorName,
  isPermanentRdsError,
  isRdsError,
  isRetryable,
  policySnapshotName,
  policySnapshotTags,
  POLICY_TAGS,
  retentionInRegion,
  snapshotsInUse,
  SNAPSHOT_KINDS,
  type EventDetail,
  type EventName,
  type EventInput,
  type Kind,
  type RdsEvent,
  type ServiceContext,
  type SnapshotPolicy,
} from '@rewind/shared';
import type { LifecycleDeps } from './deps';
import { jobKey, type PolicyJob } from './jobs';

/**
 * The lifecycle of a snapshot policy's firing, per database: a snapshot, then (optionally) its export to
 * S3, its copies to other regions, then retention in each region. Each firing and database is a job; a
 * chain of deadline checks (delayed messages to the service's own inbox) and RDS events for its
 * snapshot move it on. Every look re-reads RDS and does what is next, so a lost or repeated message
 * changes nothing. A failure of one part is alerted (`SnapshotFailed`) and never stops the others; the
 * next firing runs whatever happened to this one.
 */

export const CHECK_TYPE = 'PolicyJobCheck';
/** A job gives up on what is still pending after this long (a cross-region copy "can take hours"). */
export const JOB_DEADLINE_SECONDS = 48 * 3600;
/** RDS: at most five snapshot exports in progress per account. */
export const EXPORT_LIMIT = 5;
const FAILED = new Set(['failed', 'error', 'incompatible-restore']);

type Stage = EventDetail<'SnapshotFailed'>['stage'];

interface Look {
  ctx: ServiceContext;
  deps: LifecycleDeps;
  job: PolicyJob;
  /** Something is still under way: check again later. */
  pending: boolean;
}

// ---- firing ----------------------------------------------------------------------------------------

function hasTag(tags: { Key?: string; Value?: string }[] | undefined, key: string, value: string) {
  return (tags ?? []).some((t) => t.Key === key && t.Value === value);
}

/** The databases a policy names, each opted in or not. */
async function selectDatabases(
  rds: RDSClient,
  policy: SnapshotPolicy,
): Promise<{ identifier: string; tags: { Key?: string; Value?: string }[] | undefined }[]> {
  const all: { identifier: string; tags: { Key?: string; Value?: string }[] | undefined }[] = [];
  let Marker: string | undefined;
  do {
    if (policy.kind === 'cluster') {
      const out = await rds.send(new DescribeDBClustersCommand({ Marker }));
      for (const c of out.DBClusters ?? []) all.push({ identifier: c.DBClusterIdentifier!, tags: c.TagList });
      Marker = out.Marker;
    } else {
      const out = await rds.send(new DescribeDBInstancesCommand({ Marker }));
      for (const i of out.DBInstances ?? []) {
        if (!i.DBClusterIdentifier) all.push({ identifier: i.DBInstanceIdentifier!, tags: i.TagList });
      }
      Marker = out.Marker;
    }
  } while (Marker);
  const { identifiers, tag } = policy.databases;
  if (tag) return all.filter((d) => hasTag(d.tags, tag.key, tag.value));
  return identifiers!.map(
    (id) => all.find((d) => d.identifier === id) ?? { identifier: id, tags: undefined },
  );
}

async function publish<N extends EventName>(ctx: ServiceContext, name: N, detail: EventInput<N>) {
  await ctx.publisher.publish(name, detail);
}

async function alert(
  look: Pick<Look, 'ctx' | 'job'>,
  region: string,
  stage: Stage,
  reason: string,
  action: string,
  extra: { errorCode?: string; snapshotIdentifier?: string } = {},
) {
  const { ctx, job } = look;
  ctx.log.warn('snapshot policy failure', {
    policy: job.policy.name,
    identifier: job.identifier,
    stage,
    reason,
  });
  await publish(ctx, 'SnapshotFailed', {
    policy: job.policy.name,
    identifier: job.identifier,
    kind: job.kind,
    scheduledTime: job.scheduledTime,
    region,
    stage,
    reason,
    action,
    ...extra,
  });
}

/**
 * A firing: one job per database of the policy, each started by a first check at once. Databases that
 * are missing or not opted in are alerted and skipped; the others go on.
 */
export async function onFiring(
  ctx: ServiceContext,
  deps: LifecycleDeps,
  fired: EventDetail<'SnapshotPolicyFired'>,
): Promise<void> {
  const { policy, scheduledTime, action } = fired;
  const rds = deps.rdsIn(deps.homeRegion);
  const { key: optInTagKey, value: optInTagValue } = ctx.config.optIn;
  for (const db of await selectDatabases(rds, policy)) {
    const job: PolicyJob = {
      pk: jobKey(policy.name, policy.kind, db.identifier, scheduledTime, action),
      policy,
      identifier: db.identifier,
      kind: policy.kind,
      scheduledTime,
      action,
      snapshotName: policySnapshotName(policy.name, db.identifier, new Date(scheduledTime)),
      createdAt: ctx.now().toISOString(),
      seq: 0,
      marks: {},
    };
    if (action === 'snapshot' && !db.tags) {
      await alert(
        { ctx, job },
        deps.homeRegion,
        'select',
        `${policy.kind} ${db.identifier} does not exist`,
        `correct databases.identifiers of policy ${policy.name}, or create the database`,
      );
      continue;
    }
    if (action === 'snapshot' && !hasTag(db.tags, optInTagKey, optInTagValue)) {
      await alert(
        { ctx, job },
        deps.homeRegion,
        'select',
        `${db.identifier} has no tag ${optInTagKey}=${optInTagValue}: Rewind does not touch it`,
        `tag it: aws rds add-tags-to-resource --resource-name <its ARN> --tags Key=${optInTagKey},Value=${optInTagValue}`,
      );
      continue;
    }
    if (await deps.jobs.create(job, ctx.now())) await sendJobCheck(ctx, CHECK_TYPE, job, 0);
  }
}

// ---- checks ----------------------------------------------------------------------------------------

/** A deadline check: one look, then the next check unless the job is finished. Older chains are dropped. */
export async function onCheck(ctx: ServiceContext, deps: LifecycleDeps, raw: unknown): Promise<void> {
  const check = jobCheckOf(raw);
  if (!check) return;
  const job = await deps.jobs.get(check.job);
  if (!job || job.seq !== check.seq || job.marks.done) return;
  const finished = await look(ctx, deps, job);
  if (finished) return;
  await nextJobCheck(ctx, deps.jobs, job, check.seq, CHECK_TYPE, () =>
    checkBackoffSeconds(ctx.config.wait, job.seq),
  );
}

/** An RDS event about a policy snapshot (in the home region): one look at its job. */
export async function onRdsEvent(
  ctx: ServiceContext,
  deps: LifecycleDeps,
  rdsEvent: RdsEvent,
): Promise<void> {
  if (rdsEvent.kind !== 'snapshot' && rdsEvent.kind !== 'cluster-snapshot') return;
  if (!rdsEvent.name.startsWith('rewind-')) return;
  const job = await deps.jobs.bySnapshot(rdsEvent.name);
  if (job && !job.marks.done) await look(ctx, deps, job);
}

// ---- one look ----------------------------------------------------------------------------------------

/** Runs `action` once per job (`JobStore.once`). */
function once(look: Look, mark: string, action: () => Promise<void>): Promise<boolean> {
  return look.deps.jobs.once(look.job, mark, look.ctx.now().toISOString(), action);
}

/**
 * Judges an RDS error from a call that starts something: RDS's answer (permanent) is alerted and the
 * part ends; throttling and 5xx leave the part pending for the next check.
 */
async function refused(look: Look, err: unknown, fail: () => Promise<void>): Promise<void> {
  if (isRetryable(err) || !isPermanentRdsError(err)) {
    look.ctx.log.warn('call not accepted yet; the next check tries again', {
      job: look.job.pk,
      error: describeError(err),
    });
    look.pending = true;
    return;
  }
  await fail();
}

/** One look at a job: does what is next; true when nothing is left to do. */
export async function look(ctx: ServiceContext, deps: LifecycleDeps, job: PolicyJob): Promise<boolean> {
  const l: Look = { ctx, deps, job, pending: false };
  const expired = ctx.now().getTime() - new Date(job.createdAt).getTime() > JOB_DEADLINE_SECONDS * 1000;
  if (job.action === 'snapshot') {
    const source = await snapshotPart(l);
    if (source && job.policy.export) await exportPart(l, source.arn);
    for (const copy of job.policy.copies) {
      if (source) await copyPart(l, copy, source);
      // No snapshot to copy (its failure is alerted already): nothing of this firing goes there.
      else if (job.marks['snapshot:ended']) await once(l, `copy:${copy.region}:ended`, async () => {});
    }
  }
  await retentionPart(l);
  if (l.pending && expired) await giveUp(l);
  else if (l.pending) return false;
  await deps.jobs.mark(job, 'done', ctx.now().toISOString());
  ctx.log.info('snapshot policy job finished', { job: job.pk });
  return true;
}

async function giveUp(l: Look) {
  const { job } = l;
  await once(l, 'gave-up', () =>
    alert(
      l,
      l.deps.homeRegion,
      'snapshot',
      `the firing of ${job.scheduledTime} still had work pending after ${JOB_DEADLINE_SECONDS / 3600} h (marks: ${Object.keys(job.marks).join(', ')})`,
      'look at the snapshot and its copies with rewind snapshots list; the next firing runs as usual',
    ),
  );
}

/** The snapshot in the home region: quota check, create, wait; its ARN once available. */
async function snapshotPart(l: Look): Promise<{ arn: string; encrypted: boolean } | undefined> {
  const { ctx, deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(deps.homeRegion);
  const name = job.snapshotName;
  const found = await api.find(rds, name);
  const done = found && { arn: found.arn, encrypted: found.encrypted };
  if (job.marks['snapshot:ended']) return found?.status === 'available' ? done : undefined;
  const end = (stage: Stage, reason: string, action: string, errorCode?: string) =>
    once(l, 'snapshot:ended', () =>
      alert(l, deps.homeRegion, stage, reason, action, { errorCode, snapshotIdentifier: name }),
    );
  if (!found) {
    if (job.marks['snapshot:requested']) {
      await end(
        'snapshot',
        `${api.noun} ${name} disappeared before it was available`,
        'nothing to do: the next firing takes a new snapshot',
      );
      return undefined;
    }
    const full = await quotaReached(l);
    if (full) {
      await end('quota', full, 'the next firing tries again', 'SnapshotQuotaExceeded');
      return undefined;
    }
    if (!(await deps.jobs.mark(job, 'snapshot:requested', ctx.now().toISOString()))) {
      l.pending = true;
      return undefined;
    }
    try {
      await api.create(
        rds,
        job.identifier,
        name,
        policySnapshotTags(job.policy.name, job.identifier, job.scheduledTime),
      );
    } catch (err) {
      if (isRdsError(err, 'SnapshotQuotaExceeded')) {
        const reason = await quotaAdvice(l, `${api.createAction} refused: ${describeError(err)}`);
        await end('quota', reason, 'the next firing tries again', 'SnapshotQuotaExceeded');
        return undefined;
      }
      if (!isRdsError(err, api.alreadyExists)) {
        await deps.jobs.unmark(job, 'snapshot:requested');
        await refused(l, err, () =>
          end(
            'snapshot',
            `${api.createAction} ${name} of ${job.identifier} refused: ${describeError(err)}`,
            'fix the cause; the next firing takes a new snapshot',
            errorName(err),
          ).then(() => undefined),
        );
        return undefined;
      }
    }
    l.pending = true;
    return undefined;
  }
  if (FAILED.has(found.status)) {
    await end(
      'snapshot',
      `${api.noun} ${name} ended in status ${found.status}`,
      'the next firing takes a new snapshot',
      found.status,
    );
    return undefined;
  }
  if (found.status !== 'available') {
    l.pending = true;
    return undefined;
  }
  await once(l, 'snapshot:ended', () =>
    publish(ctx, 'SnapshotCreated', {
      policy: job.policy.name,
      identifier: job.identifier,
      kind: job.kind,
      scheduledTime: job.scheduledTime,
      region: deps.homeRegion,
      snapshotIdentifier: name,
      snapshotArn: found.arn,
    }),
  );
  return done;
}

/**
 * Whether the manual snapshot quota is reached (DescribeAccountAttributes), said with what would free
 * space: this policy's retention, which runs right after.
 */
async function quotaReached(l: Look): Promise<string | undefined> {
  const { deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(deps.homeRegion);
  let quota;
  try {
    const out = await rds.send(new DescribeAccountAttributesCommand({}));
    quota = out.AccountQuotas?.find((q) => q.AccountQuotaName === api.quotaName);
  } catch (err) {
    // The check only words the alert better: without it, a full quota is still caught from the
    // snapshot call's SnapshotQuotaExceeded.
    if (!isPermanentRdsError(err)) throw err;
    l.ctx.log.warn('quota check unavailable; the snapshot call will tell', { error: describeError(err) });
    return undefined;
  }
  if (!quota || quota.Max === undefined || (quota.Used ?? 0) < quota.Max) return undefined;
  return quotaAdvice(
    l,
    `the manual snapshot quota is reached in ${deps.homeRegion} (${quota.Used} of ${quota.Max} ${api.noun}s)`,
  );
}

/** What frees space: this policy's retention (which runs right after), else what a person can do. */
async function quotaAdvice(l: Look, what: string): Promise<string> {
  const { deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(deps.homeRegion);
  const { plan } = await retentionInRegion({
    rds,
    region: deps.homeRegion,
    kind: job.kind,
    policy: job.policy.name,
    identifier: job.identifier,
    retention: job.policy.retention,
    asOf: new Date(job.scheduledTime),
  });
  const frees = plan.delete.length
    ? `policy ${job.policy.name}'s retention frees ${plan.delete.length} now (it runs after this alert; see rewind snapshots prune ${job.identifier} --dry-run)`
    : `policy ${job.policy.name}'s retention frees none now: shorten its retention (keepLast, maxAgeDays) or another policy's, delete manual snapshots no longer needed, or ask AWS for a higher "${api.quotaName}" quota`;
  return `${what}: no snapshot of ${job.identifier} was taken; ${frees}`;
}

function exportTaskId(name: string): string {
  if (name.length <= 60) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, 53).replace(/-+$/, '')}-${hash}`;
}

/** The export to S3: started when fewer than five run in the account, then waited on. */
async function exportPart(l: Look, sourceArn: string) {
  const { ctx, deps, job } = l;
  const spec = job.policy.export!;
  if (job.marks['export:ended']) return;
  const rds = deps.rdsIn(deps.homeRegion);
  const id = exportTaskId(job.snapshotName);
  const end = (reason: string, errorCode?: string) =>
    once(l, 'export:ended', () =>
      alert(
        l,
        deps.homeRegion,
        'export',
        reason,
        `check the bucket ${spec.bucket}, the role ${spec.iamRoleArn} (trusted by export.rds.amazonaws.com) and the key; restores are not affected; the next firing exports its own snapshot`,
        { errorCode, snapshotIdentifier: job.snapshotName },
      ),
    );
  const task = (await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: id })))
    .ExportTasks?.[0];
  if (!task) {
    const running = await rds.send(
      new DescribeExportTasksCommand({ Filters: [{ Name: 'status', Values: ['starting', 'in_progress'] }] }),
    );
    if ((running.ExportTasks ?? []).length >= EXPORT_LIMIT) {
      ctx.log.info('export queued: five exports already run in the account', { job: job.pk });
      l.pending = true;
      return;
    }
    try {
      await rds.send(
        new StartExportTaskCommand({
          ExportTaskIdentifier: id,
          SourceArn: sourceArn,
          S3BucketName: spec.bucket,
          S3Prefix: spec.prefix,
          IamRoleArn: spec.iamRoleArn,
          KmsKeyId: spec.kmsKeyId,
        }),
      );
    } catch (err) {
      if (!isRdsError(err, 'ExportTaskAlreadyExists')) {
        await refused(l, err, () =>
          end(`StartExportTask for ${job.snapshotName} refused: ${describeError(err)}`, errorName(err)).then(
            () => undefined,
          ),
        );
        return;
      }
    }
    l.pending = true;
    return;
  }
  if (task.Status === 'COMPLETE') {
    await once(l, 'export:ended', () =>
      publish(ctx, 'SnapshotExported', {
        policy: job.policy.name,
        identifier: job.identifier,
        kind: job.kind,
        scheduledTime: job.scheduledTime,
        snapshotIdentifier: job.snapshotName,
        exportTaskIdentifier: id,
        s3Uri: `s3://${task.S3Bucket ?? spec.bucket}/${task.S3Prefix ? `${task.S3Prefix}/` : ''}${id}/`,
      }),
    );
  } else if (task.Status === 'FAILED' || task.Status === 'CANCELED') {
    await end(
      `export task ${id} ended ${task.Status}${task.FailureCause ? `: ${task.FailureCause}` : ''}`,
      task.Status,
    );
  } else l.pending = true;
}

/** One copy: started when the destination has room (20 instance / 5 cluster copies in flight), then waited on. */
async function copyPart(
  l: Look,
  copy: SnapshotPolicy['copies'][number],
  source: { arn: string; encrypted: boolean },
) {
  const sourceArn = source.arn;
  const { ctx, deps, job } = l;
  const ended = `copy:${copy.region}:ended`;
  const requested = `copy:${copy.region}:requested`;
  if (job.marks[ended]) return;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(copy.region);
  const name = job.snapshotName;
  const end = (reason: string, errorCode?: string) =>
    once(l, ended, () =>
      alert(
        l,
        copy.region,
        'copy',
        reason,
        `check the KMS key ${copy.kmsKeyId ?? '(none given: needed for an encrypted snapshot)'} in ${copy.region} (it must exist, be enabled and let Rewind's role create grants); the source snapshot is kept by its own retention; the next firing copies its own snapshot`,
        { errorCode, snapshotIdentifier: name },
      ),
    );
  const found = await api.find(rds, name);
  if (!found) {
    if (job.marks[requested]) {
      await end(
        `the copy of ${name} to ${copy.region} disappeared before it was available (the copy failed or was cancelled)`,
      );
      return;
    }
    const inFlight = (await api.listManual(rds)).filter(
      (s) => s.sourceArn && s.status !== 'available',
    ).length;
    if (inFlight >= api.copyLimit) {
      ctx.log.info('copy queued: the destination region has its copies in flight', {
        job: job.pk,
        region: copy.region,
        inFlight,
      });
      l.pending = true;
      return;
    }
    if (!(await deps.jobs.mark(job, requested, ctx.now().toISOString()))) {
      l.pending = true;
      return;
    }
    try {
      await api.copy(rds, {
        sourceArn,
        name,
        // A key is regional: an encrypted source is re-encrypted with the destination's key; an
        // unencrypted one stays unencrypted (RDS refuses a key for an unencrypted cluster snapshot copy).
        kmsKeyId: source.encrypted ? copy.kmsKeyId : undefined,
        tags: [
          ...policySnapshotTags(job.policy.name, job.identifier, job.scheduledTime),
          { Key: POLICY_TAGS.copiedFrom, Value: deps.homeRegion },
        ],
      });
    } catch (err) {
      if (!isRdsError(err, api.alreadyExists)) {
        await deps.jobs.unmark(job, requested);
        await refused(l, err, () =>
          end(
            `${api.copyAction} of ${name} to ${copy.region} refused: ${describeError(err)}`,
            errorName(err),
          ).then(() => undefined),
        );
        return;
      }
    }
    l.pending = true;
    return;
  }
  if (FAILED.has(found.status))
    return void (await end(
      `the copy of ${name} in ${copy.region} ended in status ${found.status}`,
      found.status,
    ));
  if (found.status !== 'available') {
    l.pending = true;
    return;
  }
  await once(l, ended, () =>
    publish(ctx, 'SnapshotCopied', {
      policy: job.policy.name,
      identifier: job.identifier,
      kind: job.kind,
      scheduledTime: job.scheduledTime,
      sourceRegion: deps.homeRegion,
      sourceSnapshotArn: sourceArn,
      region: copy.region,
      snapshotIdentifier: name,
      snapshotArn: found.arn,
    }),
  );
}

/**
 * Retention in each region once nothing of this firing is under way there: the home region once the
 * snapshot (and its copies, which protect their source while in flight) ended; a destination once its copy
 * ended. Ages count from the firing's scheduled time.
 */
async function retentionPart(l: Look) {
  const { job, deps } = l;
  const snapshotEnded = job.action === 'prune' || Boolean(job.marks['snapshot:ended']);
  if (!snapshotEnded) return;
  const copiesEnded = (region: string) =>
    job.action === 'prune' ||
    Boolean(job.marks[`copy:${region}:ended`]) ||
    !job.marks['snapshot:requested'] ||
    (!job.marks[`copy:${region}:requested`] && Boolean(job.marks['snapshot:ended']) && !l.pending);
  const regions = [
    {
      region: deps.homeRegion,
      retention: job.policy.retention,
      ready: job.policy.copies.every((c) => copiesEnded(c.region)),
    },
    ...job.policy.copies.map((c) => ({
      region: c.region,
      retention: c.retention,
      ready: copiesEnded(c.region),
    })),
  ];
  const inUse = await snapshotsInUse(l.ctx.store);
  for (const r of regions) {
    if (!r.ready) {
      l.pending = true;
      continue;
    }
    await once(l, `expired:${r.region}`, () =>
      expireIn(l, r.region, r.retention, r.region === deps.homeRegion ? inUse : new Map()),
    );
  }
}

async function expireIn(
  l: Look,
  region: string,
  retention: SnapshotPolicy['retention'],
  inUse: ReadonlyMap<string, string>,
) {
  const { ctx, deps, job } = l;
  const api = SNAPSHOT_KINDS[job.kind];
  const rds = deps.rdsIn(region);
  const home = region === deps.homeRegion;
  const asOf = new Date(job.scheduledTime);
  const { plan } = await retentionInRegion({
    rds,
    region,
    kind: job.kind,
    policy: job.policy.name,
    identifier: job.identifier,
    retention,
    asOf,
    inUse,
    exportOf: home && job.policy.export !== undefined ? exportInProgress : undefined,
    copyTargets: home ? job.policy.copies.map((c) => ({ region: c.region, rds: deps.rdsIn(c.region) })) : [],
  });
  const deleted: typeof plan.delete = [];
  const kept = [...plan.keep];
  for (const d of plan.delete) {
    try {
      await api.delete(rds, d.snapshotIdentifier);
      deleted.push(d);
    } catch (err) {
      if (isRdsError(err, 'DBSnapshotNotFound') || isRdsError(err, 'DBClusterSnapshotNotFoundFault'))
        continue;
      if (!isPermanentRdsError(err)) throw err;
      // A call sent again after its first answer was lost finds the snapshot gone or going; with a tag
      // condition on the grant, IAM then answers AccessDenied rather than not found.
      const now = await api.find(rds, d.snapshotIdentifier);
      if (!now || now.status === 'deleting') {
        deleted.push(d);
        continue;
      }
      kept.push({ ...d, reason: `deletion refused: ${describeError(err)}` });
      await alert(
        l,
        region,
        'retention',
        `could not delete ${d.snapshotIdentifier}: ${describeError(err)}`,
        'it is kept; the next firing tries again',
        { errorCode: errorName(err), snapshotIdentifier: d.snapshotIdentifier },
      );
    }
  }
  ctx.log.info('retention applied', {
    policy: job.policy.name,
    identifier: job.identifier,
    region,
    deleted: deleted.length,
    kept: kept.length,
  });
  await publish(ctx, 'SnapshotExpired', {
    policy: job.policy.name,
    identifier: job.identifier,
    kind: job.kind as Kind,
    scheduledTime: job.scheduledTime,
    region,
    asOf: asOf.toISOString(),
    deleted,
    kept,
  });
}
