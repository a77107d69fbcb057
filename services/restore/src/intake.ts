import {
  event,
  flushOutbox,
  idempotencyKey,
  newRunId,
  parseEvent,
  planFor,
  type Envelope,
  type EventDetail,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { accept, createOrFlush } from './accept';
import { storedRequest } from './clone';
import { Rejection } from './rejection';

type Request = EventDetail<'RestoreRequested'>;

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
  const stored = req ? storedRequest(req) : { invalid: true, preview: invalid!.preview };
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
          request: req ? storedRequest(req) : { preview: invalid!.preview },
        }),
        at: now.toISOString(),
      },
    ],
  };
  await createOrFlush(ctx, record);
}
