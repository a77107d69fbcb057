import {
  event,
  idempotencyKey,
  planFor,
  requestIntake,
  type EventDetail,
  type Rejected,
  type RejectedRun,
} from '@rewind/shared';
import { accept } from './accept';
import { storedRequest } from './clone';
import { Rejection } from './rejection';

type Request = EventDetail<'RestoreRequested'>;

/**
 * Intake of `RestoreRequested`: validate, check the database (exists, opted in, available, not busy),
 * resolve the snapshot, capture the configuration, take the lock, write the run and publish RunStarted.
 * Every request is answered (the shared `requestIntake`): `RunStarted`, `RestoreRejected` saying what and
 * how to fix it, or `RequestRepeated` naming the run an earlier request with the same requestId (for the
 * same database) started. A rejection stores and publishes only a bounded preview of what it was sent,
 * and releases the requestId, so the request can be sent again once fixed. The same event delivered
 * twice is answered once.
 */
export const intake = requestIntake({
  event: 'RestoreRequested',
  expected:
    'Expected {"identifier": "...", "task": "create_snapshot|db_restore|create_snapshot_only", "isCluster": false}',
  refusal: Rejection,
  // A requestId is scoped by database: the same one for another database starts that database its run.
  requestKey: (req) =>
    req.requestId
      ? idempotencyKey.request(req.isCluster ? 'cluster' : 'instance', req.identifier, req.requestId)
      : undefined,
  repeated: (ctx, req, earlier) =>
    ctx.publisher.publish('RequestRepeated', {
      runId: earlier.runId,
      identifier: req.identifier,
      kind: earlier.kind,
      requestId: req.requestId!,
      status: earlier.status,
      startedAt: earlier.createdAt,
    }),
  accept,
  rejected,
});

function rejected(runId: string, { req, invalid }: Rejected<Request>, rejection: Rejection): RejectedRun {
  const identifier = req?.identifier ?? invalid?.text('identifier', 255);
  const requestId = req?.requestId ?? invalid?.text('requestId', 128);
  const kind = (req?.isCluster ?? invalid?.flag('isCluster')) ? 'cluster' : 'instance';
  // An invalid request has no task or strategy of its own: the record keeps the defaults, flagged `invalid`.
  const task = req?.task ?? 'db_restore';
  const strategy = req?.strategy ?? 'in-place';
  return {
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
    request: req ? storedRequest(req) : { invalid: true, preview: invalid.preview },
    requestId,
    replayOf: req?.replayOf,
    answer: event('RestoreRejected', {
      runId,
      identifier,
      requestId,
      code: rejection.code,
      reason: rejection.message,
      request: req ? storedRequest(req) : { preview: invalid.preview },
    }),
  };
}
