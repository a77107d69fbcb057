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
  type ClusterConfig,
  type EventDetail,
  type InstanceConfig,
  type Envelope,
  type RunRecord,
  type ServiceContext,
  addressScope,
  type ResourceAddress,
} from '@rewind/shared';
import { inspectCluster, resolveClusterSnapshot } from './clusterIntake';
import { checkOptedIn } from './optIn';
import { Rejection } from './rejection';
import { rejectInstanceWithReplicas } from './replicas';
import { assessRestore } from './restoreSafety';

type Request = EventDetail<'RestoreRequested'>;
/** What intake learns of the database: its captured configuration and how to find its snapshot. */
interface Inspected {
  config: InstanceConfig | ClusterConfig;
  resolveSnapshot: () => Promise<string>;
}

async function inspectInstance(ctx: ServiceContext, req: Request): Promise<Inspected> {
  const db = await findInstance(ctx.rds, req.identifier);
  if (!db) throw new Rejection('unknown-database', await unknownDatabaseReason(ctx, req.identifier));
  checkEligible(ctx, db, req.identifier);
  rejectInstanceWithReplicas(db, req.identifier);
  return {
    config: captureInstanceConfig(db),
    resolveSnapshot: () => resolveSnapshot(ctx, req),
  };
}

async function inspectClusterRequest(ctx: ServiceContext, req: Request): Promise<Inspected> {
  const config = await inspectCluster(ctx, req);
  return {
    config,
    resolveSnapshot: () => resolveClusterSnapshot(ctx, req),
  };
}

/**
 * Intake of `RestoreRequested`: validate, check the database (exists, opted in, available, not busy),
 * resolve the snapshot, capture the configuration, take the lock, write the run and publish RunStarted.
 * Every request is answered: `RunStarted`, `RestoreRejected` saying what and how to fix it, or
 * `RequestRepeated` naming the run an earlier request with the same requestId (for the same database)
 * started. A rejection stores and publishes only a bounded preview of what it was sent, and releases the
 * requestId, so the request can be sent again once fixed. The same event delivered twice is answered once.
 */
export async function intake(raw: unknown, envelope: Envelope, ctx: ServiceContext): Promise<void> {
  const now = ctx.now();
  // Every delivered event maps to the run that answers it; a redelivery finds it and only re-flushes.
  const eventKey = idempotencyKey.event(envelope.id);
  const runId = await ctx.store.claimRequestId(eventKey, newRunId(now), now);
  const log = ctx.log.child({ runId });
  const answered = await ctx.store.getRun(runId);
  if (answered) {
    log.info('the same request event again: already answered', { status: answered.status });
    await flushOutbox(ctx, answered);
    return;
  }

  const parsed = parseEvent('RestoreRequested', raw);
  if (!parsed.ok) {
    const rejection = new Rejection(
      'invalid-input',
      `${bounded(parsed.message, 1500)}. Expected {"identifier": "...", "task": "create_snapshot|db_restore|create_snapshot_only", "isCluster": false}`,
    );
    log.warn('request rejected', { code: rejection.code, reason: rejection.message });
    await reject(ctx, runId, invalidRequest(raw), rejection, now);
    return;
  }
  const req = parsed.value;
  const requestKey = req.requestId
    ? idempotencyKey.request(req.isCluster ? 'cluster' : 'instance', req.identifier, req.requestId)
    : undefined;
  if (requestKey && (await answeredByEarlierRun(ctx, requestKey, runId, eventKey, req, now))) return;
  try {
    await accept(ctx, runId, req, envelope, now);
    log.info('run started', { identifier: req.identifier, task: req.task });
  } catch (err) {
    if (!(err instanceof Rejection)) throw err;
    log.warn('request rejected', { code: err.code, reason: err.message });
    await reject(ctx, runId, { req }, err, now);
    // A rejection does not consume the requestId: the same request, once its cause is fixed, is a new one.
    if (requestKey) await ctx.store.releaseKey(requestKey, runId);
  }
}

/** How long a repeated request waits for the run an earlier one is creating, before its message is retried. */
const CREATION_WAIT_MS = 2000;

/**
 * A requestId already held by another run for this database: answers with `RequestRepeated` (and points
 * this event at that run) and returns true. A holder that turns out rejected (its release was lost) gives
 * the key up; a holder still being created is waited for briefly, then the message is retried.
 */
async function answeredByEarlierRun(
  ctx: ServiceContext,
  requestKey: string,
  runId: string,
  eventKey: string,
  req: Request,
  now: Date,
): Promise<boolean> {
  for (const started = Date.now(); ;) {
    const holder = await ctx.store.claimRequestId(requestKey, runId, now);
    if (holder === runId) return false;
    const earlier = await ctx.store.getRun(holder);
    if (earlier?.status === 'rejected') {
      await ctx.store.releaseKey(requestKey, holder);
      continue;
    }
    if (earlier) {
      await ctx.publisher.publish('RequestRepeated', {
        runId: earlier.runId,
        identifier: req.identifier,
        kind: earlier.kind,
        requestId: req.requestId!,
        status: earlier.status,
        startedAt: earlier.createdAt,
      });
      await ctx.store.pointKey(eventKey, earlier.runId, now);
      ctx.log.info('repeated request: answered with the run it started', {
        runId: earlier.runId,
        requestId: req.requestId,
        status: earlier.status,
      });
      return true;
    }
    if (Date.now() - started > CREATION_WAIT_MS) {
      throw new Error(
        `request ${req.requestId} for ${req.identifier} is held by run ${holder}, which is not written yet; retrying`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** At most `max` characters, saying how many were cut. */
function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** What a rejection keeps of an invalid request: a JSON preview of bounded size, never the request itself. */
interface InvalidRequest {
  preview: string;
  identifier?: string;
  requestId?: string;
  isCluster?: boolean;
}

function invalidRequest(raw: unknown): InvalidRequest {
  let json: string;
  try {
    json = JSON.stringify(raw) ?? String(raw);
  } catch {
    json = String(raw);
  }
  const field = (name: string, max: number) => {
    const value =
      raw && typeof raw === 'object' ? Object.getOwnPropertyDescriptor(raw, name)?.value : undefined;
    return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;
  };
  const isCluster =
    raw && typeof raw === 'object' ? Object.getOwnPropertyDescriptor(raw, 'isCluster')?.value : undefined;
  return {
    preview: json.length > 1000 ? `${json.slice(0, 1000)}...` : json,
    identifier: field('identifier', 255),
    requestId: field('requestId', 128),
    isCluster: typeof isCluster === 'boolean' ? isCluster : undefined,
  };
}

async function accept(ctx: ServiceContext, runId: string, req: Request, envelope: Envelope, now: Date) {
  const kind = req.isCluster ? 'cluster' : 'instance';
  const target: ResourceAddress | undefined = ctx.config.home && {
    ...ctx.config.home,
    kind,
    id: req.identifier,
  };
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
  // A snapshot that would change what the database is is rejected; what a restore changes is announced.
  const assessed = await assessRestore(ctx, req, kind, inspected.config, names.restoreFrom);

  try {
    await ctx.store.acquireLock(
      kind,
      req.identifier,
      runId,
      now,
      target ? addressScope(target, ctx.config.home) : '',
    );
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
    // An in-place run reads from and changes the same database, here.
    source: target,
    target,
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
    config: assessed?.config ?? inspected.config,
    expectation: null,
    warnings: assessed?.warnings ?? [],
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
          snapshotSource: assessed?.snapshotSource,
          warnings: assessed?.warnings.length ? assessed.warnings : undefined,
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
  request: { req: Request } | InvalidRequest,
  rejection: Rejection,
  now: Date,
) {
  const req = 'req' in request ? request.req : undefined;
  const invalid = 'req' in request ? undefined : request;
  const identifier = req?.identifier ?? invalid?.identifier;
  const requestId = req?.requestId ?? invalid?.requestId;
  const kind = (req?.isCluster ?? invalid?.isCluster) ? 'cluster' : 'instance';
  // An invalid request has no task or strategy of its own: the record keeps the defaults, flagged `invalid`.
  const task = req?.task ?? 'db_restore';
  const strategy = req?.strategy ?? 'in-place';
  const stored = req ? { ...req } : { invalid: true, preview: invalid!.preview };
  const record: Omit<RunRecord, 'version'> = {
    runId,
    identifier: identifier ?? '(invalid)',
    kind,
    task,
    strategy,
    run: {
      id: runId,
      identifier: identifier ?? '(invalid)',
      kind,
      task,
      strategy,
      plan: planFor(task, strategy),
      next: null,
    },
    status: 'rejected',
    request: stored,
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
          identifier,
          requestId,
          code: rejection.code,
          reason: rejection.message,
          request: req ?? { preview: invalid!.preview },
        }),
        at: now.toISOString(),
      },
    ],
  };
  await createOrFlush(ctx, record);
}
