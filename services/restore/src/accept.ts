import {
  acquireLocks,
  addressScope,
  cloneClusterConfig,
  cloneInstanceConfig,
  event,
  planFor,
  snapshotIdentifier,
  stagingIdentifier,
  startRun,
  temporaryIdentifier,
  type Envelope,
  type CapturedConfig,
  type EventDetail,
  type NewRun,
  type PointInTime,
  type ResourceAddress,
  type RunNames,
  type ServiceContext,
} from '@rewind/shared';
import { checkCloneTarget, checkRequestShape, storedRequest } from './clone';
import { inspect, resolveSnapshot } from './inspect';
import { Rejection } from './rejection';
import { pointInTimeOf } from './restoreWindow';
import { assessRestore } from './restoreSafety';

type Request = EventDetail<'RestoreRequested'>;

/**
 * A valid request becomes a run: the database (a clone's source) inspected (one inspection per kind),
 * the snapshot resolved and assessed or the point in time checked against the restorable window, a
 * clone's names checked free, the lock taken (on the database the run changes: a clone's target), the run
 * returned with its captured configuration and RunStarted in its outbox (intake writes it). Anything
 * wrong is a Rejection (intake answers it).
 */
export async function accept(
  ctx: ServiceContext,
  runId: string,
  req: Request,
  envelope: Envelope,
  now: Date,
): Promise<NewRun> {
  const kind = req.isCluster ? 'cluster' : 'instance';
  checkRequestShape(req, envelope.detail, envelope.source);
  const clone = req.task === 'clone';
  // The run's identifier is the database it changes: the original in place, the new database for a clone.
  const identifier = clone ? req.targetIdentifier! : req.identifier;
  const at = (id: string): ResourceAddress | undefined => ctx.config.home && { ...ctx.config.home, kind, id };
  const source = at(req.identifier);
  const target = at(identifier);
  const captured = await inspect(ctx, kind, req.identifier, clone);

  const names: RunNames = clone ? {} : { temporary: temporaryIdentifier(req.identifier, runId) };
  // Swap: the copy is restored beside the original under this name, then takes the original's.
  if (req.strategy === 'swap' && !clone && req.task !== 'create_snapshot_only') {
    names.staging = stagingIdentifier(req.identifier, runId);
  }
  let pointInTime: PointInTime | undefined;
  if (req.task === 'create_snapshot' || req.task === 'create_snapshot_only') {
    names.snapshot = snapshotIdentifier(req.identifier, runId, now);
  }
  if (req.task === 'create_snapshot') names.restoreFrom = names.snapshot;
  if (req.restoreTime) pointInTime = await pointInTimeOf(ctx, kind, captured, req.restoreTime);
  else if (req.task === 'db_restore' || clone) names.restoreFrom = await resolveSnapshot(ctx, kind, req);
  // A snapshot that would change what the database is is rejected; what a restore changes is announced.
  const assessed = await assessRestore(ctx, req, kind, captured, names.restoreFrom);
  let config: CapturedConfig = assessed?.config ?? captured;
  if (clone) {
    config =
      'members' in config ? cloneClusterConfig(config, identifier) : cloneInstanceConfig(config, identifier);
    await checkCloneTarget(ctx, kind, config);
  }

  await acquireLocks(
    ctx,
    runId,
    [{ kind, identifier, scope: target ? addressScope(target, ctx.config.home) : '' }],
    now,
    (holder) =>
      new Rejection(
        'already-running',
        `${identifier} already has a run in progress (${holder}); wait for it to finish (rewind status ${holder})`,
      ),
  );
  const run = startRun({
    id: runId,
    identifier,
    kind,
    task: req.task,
    strategy: req.strategy,
    plan: planFor(req.task, req.strategy),
  });
  const record: NewRun = {
    runId,
    // An in-place run reads from and changes the same database; a clone reads one and creates another.
    source,
    target,
    identifier,
    kind,
    task: req.task,
    strategy: req.strategy,
    run,
    status: 'running',
    request: { ...storedRequest(req), source: envelope.source },
    requestId: req.requestId,
    replayOf: req.replayOf,
    names,
    pointInTime,
    cloneOf: clone ? req.identifier : undefined,
    config,
    expectation: null,
    warnings: assessed?.warnings ?? [],
    resources: clone ? {} : { original: req.identifier },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    outbox: [
      {
        ...event('RunStarted', {
          run,
          requestId: req.requestId,
          replayOf: req.replayOf,
          snapshotIdentifier: names.restoreFrom ?? names.snapshot,
          restoreTime: pointInTime?.time,
          cloneOf: clone ? req.identifier : undefined,
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
  return record;
}
