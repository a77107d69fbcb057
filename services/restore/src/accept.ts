import {
  addressScope,
  event,
  flushOutbox,
  LockHeldError,
  planFor,
  publishCreated,
  snapshotIdentifier,
  stagingIdentifier,
  StaleWriteError,
  startRun,
  temporaryIdentifier,
  type Envelope,
  type EventDetail,
  type ResourceAddress,
  type RunNames,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { inspect, resolveSnapshot } from './inspect';
import { Rejection } from './rejection';
import { assessRestore } from './restoreSafety';

type Request = EventDetail<'RestoreRequested'>;

/**
 * A valid request becomes a run: the database inspected (one inspection per kind), the snapshot
 * resolved and assessed, the lock taken, the run written with its captured configuration and RunStarted
 * in its outbox. Anything wrong is a Rejection (intake answers it).
 */
export async function accept(
  ctx: ServiceContext,
  runId: string,
  req: Request,
  envelope: Envelope,
  now: Date,
) {
  const kind = req.isCluster ? 'cluster' : 'instance';
  const target: ResourceAddress | undefined = ctx.config.home && {
    ...ctx.config.home,
    kind,
    id: req.identifier,
  };
  const captured = await inspect(ctx, kind, req.identifier);

  const names: RunNames = { temporary: temporaryIdentifier(req.identifier, runId) };
  // Swap: the copy is restored beside the original under this name, then takes the original's.
  if (req.strategy === 'swap' && req.task !== 'create_snapshot_only') {
    names.staging = stagingIdentifier(req.identifier, runId);
  }
  if (req.task !== 'db_restore') names.snapshot = snapshotIdentifier(req.identifier, runId, now);
  if (req.task === 'create_snapshot') names.restoreFrom = names.snapshot;
  if (req.task === 'db_restore') names.restoreFrom = await resolveSnapshot(ctx, kind, req);
  // A snapshot that would change what the database is is rejected; what a restore changes is announced.
  const assessed = await assessRestore(ctx, req, kind, captured, names.restoreFrom);

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
    config: assessed?.config ?? captured,
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
          stagingIdentifier: names.staging,
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

/** Writes a new run record and publishes its outbox; a concurrent delivery that wrote it first wins. */
export async function createOrFlush(ctx: ServiceContext, record: Omit<RunRecord, 'version'>) {
  try {
    await publishCreated(ctx, await ctx.store.createRun(record));
  } catch (err) {
    if (!(err instanceof StaleWriteError)) throw err;
    // A concurrent delivery of the same request created it first.
    const existing = await ctx.store.getRun(record.runId);
    if (existing) await flushOutbox(ctx, existing);
  }
}
