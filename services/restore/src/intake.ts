import { DescribeDBSnapshotsCommand, type DBInstance } from '@aws-sdk/client-rds';
import {
  findCluster,
  idempotencyKey,
  captureInstanceConfig,
  event,
  findInstance,
  findSnapshot,
  flushOutbox,
  publishCreated,
  isTrapheusSnapshot,
  LockHeldError,
  newRunId,
  parseEvent,
  planFor,
  snapshotIdentifier,
  StaleWriteError,
  startRun,
  temporaryIdentifier,
  traceRunTag,
  trapheusSnapshotIdentifier,
  type EventDetail,
  type Envelope,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { inspectCluster, resolveClusterSnapshot } from './clusterIntake';
import { checkOptedIn } from './optIn';
import { Rejection } from './rejection';

type Request = EventDetail<'RestoreRequested'>;
/** What intake learns of the database: its captured configuration and how to find its snapshot. */
interface Inspected {
  config: Record<string, unknown>;
  resolveSnapshot: () => Promise<string>;
}

async function inspectInstance(ctx: ServiceContext, req: Request): Promise<Inspected> {
  const db = await findInstance(ctx.rds, req.identifier);
  if (!db) throw new Rejection('unknown-database', await unknownDatabaseReason(ctx, req.identifier));
  checkEligible(ctx, db, req.identifier);
  return {
    config: captureInstanceConfig(db) as unknown as Record<string, unknown>,
    resolveSnapshot: () => resolveSnapshot(ctx, req),
  };
}

async function inspectClusterRequest(ctx: ServiceContext, req: Request): Promise<Inspected> {
  const config = await inspectCluster(ctx, req);
  return {
    config: config as unknown as Record<string, unknown>,
    resolveSnapshot: () => resolveClusterSnapshot(ctx, req),
  };
}

/**
 * Intake of `RestoreRequested`: validate, check the database (exists, opted in, available, not busy),
 * resolve the snapshot, capture the configuration, take the lock, write the run and publish RunStarted.
 * Anything wrong is answered with `RestoreRejected` saying what and how to fix it. A repeated request
 * (same requestId, or the same event delivered twice) returns the existing run and does nothing again.
 */
export async function intake(raw: unknown, envelope: Envelope, ctx: ServiceContext): Promise<void> {
  const now = ctx.now();
  const parsed = parseEvent('RestoreRequested', raw);
  const rawRequestId = (raw as { requestId?: unknown } | undefined)?.requestId;
  // Even a malformed request keeps its requestId, so the sender can match the rejection to it.
  const requestId = parsed.ok
    ? parsed.value.requestId
    : typeof rawRequestId === 'string'
      ? rawRequestId.slice(0, 128)
      : undefined;
  const claimKey = requestId ? idempotencyKey.request(requestId) : idempotencyKey.event(envelope.id);
  const runId = await ctx.store.claimRequestId(claimKey, newRunId(now), now);
  const log = ctx.log.child({ runId });

  const existing = await ctx.store.getRun(runId);
  if (existing) {
    log.info('repeated request: the run exists, nothing done again', { requestId, status: existing.status });
    await flushOutbox(ctx, existing);
    return;
  }
  try {
    if (!parsed.ok) {
      throw new Rejection(
        'invalid-input',
        `${parsed.message}. Expected {"identifier": "...", "task": "create_snapshot|db_restore|create_snapshot_only", "isCluster": false}`,
      );
    }
    await accept(ctx, runId, parsed.value, envelope, now);
    log.info('run started', { identifier: parsed.value.identifier, task: parsed.value.task });
  } catch (err) {
    if (!(err instanceof Rejection)) throw err;
    log.warn('request rejected', { code: err.code, reason: err.message });
    await reject(ctx, runId, raw, parsed.ok ? parsed.value : undefined, err, now, requestId);
  }
}

async function accept(ctx: ServiceContext, runId: string, req: Request, envelope: Envelope, now: Date) {
  const kind = req.isCluster ? 'cluster' : 'instance';
  if (req.strategy !== 'in-place') {
    throw new Rejection(
      'unsupported',
      `strategy "${req.strategy}" is not available yet; use "in-place" (the default)`,
    );
  }
  const inspected = req.isCluster ? await inspectClusterRequest(ctx, req) : await inspectInstance(ctx, req);

  const names: Record<string, string> = { temporary: temporaryIdentifier(req.identifier, runId) };
  if (req.task !== 'db_restore') names.snapshot = snapshotIdentifier(req.identifier, runId, now);
  if (req.task === 'create_snapshot') names.restoreFrom = names.snapshot!;
  if (req.task === 'db_restore') names.restoreFrom = await inspected.resolveSnapshot();

  try {
    await ctx.store.acquireLock(kind, req.identifier, runId, now);
  } catch (err) {
    if (err instanceof LockHeldError) {
      throw new Rejection(
        'already-running',
        `${req.identifier} already has a run in progress (${err.holderRunId}); wait for it to finish (rewind status ${err.holderRunId})`,
      );
    }
    throw err;
  }
  const run = startRun({
    id: runId,
    identifier: req.identifier,
    kind,
    task: req.task,
    strategy: req.strategy,
    plan: planFor(req.task, req.strategy),
  });
  const record: Omit<RunRecord, 'version'> = {
    runId,
    identifier: req.identifier,
    kind,
    task: req.task,
    strategy: req.strategy,
    run,
    status: 'running',
    request: { ...req, source: envelope.source },
    requestId: req.requestId,
    replayOf: req.replayOf,
    names,
    config: inspected.config,
    expectation: null,
    warnings: [],
    resources: { original: req.identifier },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    outbox: [
      {
        ...event('RunStarted', {
          run,
          requestId: req.requestId,
          replayOf: req.replayOf,
          snapshotIdentifier: names.restoreFrom ?? names.snapshot,
          temporaryIdentifier: run.plan.includes('set-aside') ? names.temporary : undefined,
          startedAt: now.toISOString(),
        }),
        at: now.toISOString(),
      },
    ],
  };
  // The timeline entry does not gate the run: written alongside it.
  await Promise.all([
    ctx.store.appendLog({
      runId,
      at: now.toISOString(),
      direction: 'in',
      type: 'RestoreRequested',
      detail: req,
      source: envelope.source,
    }),
    createOrFlush(ctx, record),
  ]);
}

async function createOrFlush(ctx: ServiceContext, record: Omit<RunRecord, 'version'>) {
  try {
    await publishCreated(ctx, await ctx.store.createRun(record));
  } catch (err) {
    if (!(err instanceof StaleWriteError)) throw err;
    // A concurrent delivery of the same request created it first.
    const existing = await ctx.store.getRun(record.runId);
    if (existing) await flushOutbox(ctx, existing);
  }
}

function checkEligible(ctx: ServiceContext, db: DBInstance, identifier: string) {
  checkOptedIn(
    [{ what: `DB instance ${identifier}`, identifier, arn: db.DBInstanceArn, tags: db.TagList }],
    ctx.config.optIn,
    identifier,
  );
  if (db.DBClusterIdentifier) {
    throw new Rejection(
      'invalid-input',
      `${identifier} is a member of Aurora cluster ${db.DBClusterIdentifier}; restore the cluster instead ({"identifier": "${db.DBClusterIdentifier}", "isCluster": true})`,
    );
  }
  if (db.DBInstanceStatus !== 'available') {
    throw new Rejection(
      'not-available',
      `${identifier} is ${db.DBInstanceStatus}; Rewind starts only on an available database. Retry when it is available`,
    );
  }
  if (db.ReadReplicaSourceDBInstanceIdentifier) {
    throw new Rejection(
      'unsupported',
      `${identifier} is a read replica of ${db.ReadReplicaSourceDBInstanceIdentifier}; restoring a replica in place would detach it`,
    );
  }
}

async function unknownDatabaseReason(ctx: ServiceContext, identifier: string): Promise<string> {
  const base = `no DB instance named ${identifier} in this account and region`;
  if (await findCluster(ctx.rds, identifier)) {
    return `${base}; ${identifier} is an Aurora cluster: send "isCluster": true`;
  }
  return `${base}; check the identifier and the region`;
}

/** db_restore: the given snapshot, else the newest Rewind snapshot, else Trapheus's `<id>-snapshot`. */
async function resolveSnapshot(ctx: ServiceContext, req: Request): Promise<string> {
  if (req.snapshotIdentifier) {
    const snap = await findSnapshot(ctx.rds, req.snapshotIdentifier);
    if (!snap) {
      throw new Rejection(
        'snapshot-not-found',
        `snapshot ${req.snapshotIdentifier} does not exist in this account and region; check the name (rewind snapshots are named <identifier>-rw<tag>-snapshot-<time>)`,
      );
    }
    if (snap.Status !== 'available') {
      throw new Rejection(
        'not-available',
        `snapshot ${req.snapshotIdentifier} is ${snap.Status}; retry when it is available`,
      );
    }
    return req.snapshotIdentifier;
  }
  const out = await ctx.rds.send(
    new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: req.identifier, SnapshotType: 'manual' }),
  );
  const ours = (out.DBSnapshots ?? [])
    .filter((s) => s.Status === 'available' && traceRunTag(s.DBSnapshotIdentifier ?? '')?.role === 'snapshot')
    .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
  if (ours[0]?.DBSnapshotIdentifier) return ours[0].DBSnapshotIdentifier;
  const legacy = (out.DBSnapshots ?? []).find(
    (s) => s.Status === 'available' && isTrapheusSnapshot(s.DBSnapshotIdentifier ?? '', req.identifier),
  );
  if (legacy?.DBSnapshotIdentifier) return legacy.DBSnapshotIdentifier;
  const named = await findSnapshot(ctx.rds, trapheusSnapshotIdentifier(req.identifier));
  if (named?.Status === 'available') return named.DBSnapshotIdentifier!;
  throw new Rejection(
    'snapshot-not-found',
    `no snapshot to restore ${req.identifier} from: no available Rewind snapshot of it and no ${trapheusSnapshotIdentifier(req.identifier)}; ` +
      `pass "snapshotIdentifier", or run the create_snapshot task`,
  );
}

async function reject(
  ctx: ServiceContext,
  runId: string,
  raw: unknown,
  req: Request | undefined,
  rejection: Rejection,
  now: Date,
  requestId?: string,
) {
  const r = (raw ?? {}) as Record<string, unknown>;
  const identifier = req?.identifier ?? (typeof r.identifier === 'string' ? r.identifier : '(invalid)');
  const task = req?.task ?? 'db_restore';
  const strategy = req?.strategy ?? 'in-place';
  const kind = req?.isCluster ? 'cluster' : 'instance';
  const record: Omit<RunRecord, 'version'> = {
    runId,
    identifier,
    kind,
    task,
    strategy,
    run: { id: runId, identifier, kind, task, strategy, plan: planFor(task, strategy), next: null },
    status: 'rejected',
    request: (typeof raw === 'object' && raw ? raw : { value: raw }) as Record<string, unknown>,
    requestId,
    replayOf: req?.replayOf,
    names: {},
    warnings: [],
    resources: {},
    rejection: { code: rejection.code, reason: rejection.message },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    outbox: [
      {
        ...event('RestoreRejected', {
          runId,
          identifier: req?.identifier ?? (typeof r.identifier === 'string' ? r.identifier : undefined),
          requestId,
          code: rejection.code,
          reason: rejection.message,
          request: raw,
        }),
        at: now.toISOString(),
      },
    ],
  };
  await createOrFlush(ctx, record);
}
