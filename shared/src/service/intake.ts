import type { EventDetail, EventName } from '../contracts/events';
import { parseEvent } from '../contracts/parse';
import { LockHeldError, StaleWriteError } from '../errors';
import { newRunId } from '../rds/naming';
import { idempotencyKey } from '../state/keys';
import type { LockRef, RunRecord } from '../state/types';
import type { ServiceContext } from './context';
import type { Envelope } from './handler';
import { event, flushOutbox, publishCreated } from './runs';

/**
 * The answering of requests, shared by the services that take them (restore: `RestoreRequested`;
 * failover: `FailoverRequested`). Every request is answered exactly once, whatever it contains:
 *
 * - the same event delivered again finds the run that answered it (the event id is claimed first and
 *   mapped to a run id) and only re-publishes what that run's outbox still holds;
 * - a request that breaks its contract is rejected with the contract's messages (bounded) and what a
 *   valid request looks like; the rejection keeps a bounded preview of it, never the request itself;
 * - a requestId another run holds is answered as the service says (restore: with that run; failover:
 *   refused), never by a second run; a holder that was rejected gives the key up;
 * - the service's own checks (`accept`) either return the new run, or throw an `IntakeRefusal` that is
 *   recorded and published as the service's rejection event; a rejection never consumes the requestId,
 *   so the same request, once its cause is fixed, is a new one.
 *
 * Any other error propagates: the message is retried, then lands in the DLQ, replayable.
 */

/** A run record as first written. */
export type NewRun = Omit<RunRecord, 'version'>;

/** A request a service refuses: the code its rejection event carries, and a reason that says what to fix. */
export class IntakeRefusal<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

/** What a rejection may keep of a request that broke its contract. */
export interface InvalidRequest {
  /** The request as JSON: its first 1,000 characters ("..." when cut), never the request itself. */
  preview: string;
  /** The request's field `name` when it is a non-empty string, cut to `max` characters. */
  text(name: string, max: number): string | undefined;
  /** The request's field `name` when it is true or false. */
  flag(name: string): boolean | undefined;
}

/** Whom a rejection answers: a valid request, or what was kept of an invalid one. */
export type Rejected<Req> = { req: Req; invalid?: undefined } | { req?: undefined; invalid: InvalidRequest };

/** What a service's rejected run holds of its own (the rest is the same for every rejection). */
export type RejectedRun = Pick<
  RunRecord,
  'identifier' | 'kind' | 'task' | 'strategy' | 'run' | 'request' | 'requestId' | 'replayOf'
> & {
  /** The rejection event (`RestoreRejected`, `FailoverRejected`). */
  answer: ReturnType<typeof event>;
};

type RequestEvent = Extract<EventName, 'RestoreRequested' | 'FailoverRequested'>;

/** A service's parts of its intake; everything else is `requestIntake`'s. */
export interface IntakeSpec<E extends RequestEvent, R extends IntakeRefusal> {
  /** The request event, validated against its contract. */
  event: E;
  /** Appended to a contract violation's reason: what a valid request looks like. */
  expected: string;
  /** Builds the service's refusal of an invalid request (code `invalid-input`). */
  refusal: new (code: 'invalid-input', message: string) => R;
  /** The key a request's requestId holds (scoped as the service scopes it); none without a requestId. */
  requestKey(req: EventDetail<E>): string | undefined;
  /**
   * Answers a request whose requestId the run `earlier` holds: publishes the answer, or throws a refusal
   * (then the request is rejected, and the key stays with `earlier`).
   */
  repeated(ctx: ServiceContext, req: EventDetail<E>, earlier: RunRecord): Promise<void>;
  /**
   * The service's checks: the new run (status `running`, its first event in its outbox), locks taken; or
   * a refusal, thrown, with the locks it took released.
   */
  accept(
    ctx: ServiceContext,
    runId: string,
    req: EventDetail<E>,
    envelope: Envelope,
    now: Date,
  ): Promise<NewRun>;
  /** The service's part of a rejected run: its fields and its rejection event. */
  rejected(runId: string, request: Rejected<EventDetail<E>>, refusal: R, now: Date): RejectedRun;
}

/** The most a rejection's reason quotes of a contract's messages. */
const INVALID_REASON_MAX = 1500;
/** The most of an invalid request a rejection keeps (its JSON). */
const PREVIEW_MAX = 1000;
/** How long a repeated request waits for the run an earlier one is creating, before its message is retried. */
const CREATION_WAIT_MS = 2000;

/** The raw route of a request event: `(raw, envelope, ctx)`, answering as described above. */
export function requestIntake<E extends RequestEvent, R extends IntakeRefusal>(spec: IntakeSpec<E, R>) {
  return async function intake(raw: unknown, envelope: Envelope, ctx: ServiceContext): Promise<void> {
    const now = ctx.now();
    // Every delivered event maps to the run that answers it; a redelivery finds it and only re-flushes.
    const eventKey = idempotencyKey.event(envelope.id);
    const runId = await ctx.store.claimRequestId(eventKey, newRunId(now), now);
    const log = ctx.log.child({ runId, request: spec.event });
    const answered = await ctx.store.getRun(runId);
    if (answered) {
      log.info('the same request event again: already answered', { status: answered.status });
      await flushOutbox(ctx, answered);
      return;
    }
    const rejectWith = async (request: Rejected<EventDetail<E>>, refusal: R) => {
      log.warn('request rejected', { code: refusal.code, reason: refusal.message });
      await createOrFlush(ctx, rejectedRun(runId, spec.rejected(runId, request, refusal, now), refusal, now));
    };

    const parsed = parseEvent(spec.event, raw);
    if (!parsed.ok) {
      const reason = `${bounded(parsed.message, INVALID_REASON_MAX)}. ${spec.expected}`;
      await rejectWith({ invalid: invalidRequest(raw) }, new spec.refusal('invalid-input', reason));
      return;
    }
    const req = parsed.value;
    const requestKey = spec.requestKey(req);
    try {
      if (requestKey && (await answeredByEarlierRun(ctx, spec, req, requestKey, runId, eventKey, now)))
        return;
      const record = await spec.accept(ctx, runId, req, envelope, now);
      // The timeline entry does not gate the run: written alongside it.
      await Promise.all([
        ctx.store.appendLog({
          runId,
          at: now.toISOString(),
          direction: 'in',
          type: spec.event,
          detail: req,
          source: envelope.source,
        }),
        createOrFlush(ctx, record),
      ]);
      log.info('run started', {
        identifier: record.identifier,
        task: record.task,
        strategy: record.strategy,
      });
    } catch (err) {
      if (!(err instanceof spec.refusal)) throw err;
      await rejectWith({ req }, err);
      // A rejection does not consume the requestId (a key another run holds is not this run's to release).
      if (requestKey) await ctx.store.releaseKey(requestKey, runId);
    }
  };
}

/**
 * A requestId another run holds: the service answers (and this event is pointed at that run) and true is
 * returned, or the service's refusal is thrown. A holder that turns out rejected (its release was lost)
 * gives the key up; a holder still being created is waited for briefly, then the message is retried.
 */
async function answeredByEarlierRun<E extends RequestEvent, R extends IntakeRefusal>(
  ctx: ServiceContext,
  spec: IntakeSpec<E, R>,
  req: EventDetail<E>,
  requestKey: string,
  runId: string,
  eventKey: string,
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
      await spec.repeated(ctx, req, earlier);
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
        `request ${req.requestId} (${requestKey}) is held by run ${holder}, which is not written yet; retrying`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Takes every lock of `refs` for the run, or none: a lock another run holds releases those already taken
 * and throws `held(holder)`, the service's refusal naming that run.
 */
export async function acquireLocks(
  ctx: ServiceContext,
  runId: string,
  refs: LockRef[],
  now: Date,
  held: (holderRunId: string | undefined) => IntakeRefusal,
): Promise<void> {
  const taken: LockRef[] = [];
  try {
    for (const ref of refs) {
      await ctx.store.acquireLock(ref.kind, ref.identifier, runId, now, ref.scope);
      taken.push(ref);
    }
  } catch (err) {
    await Promise.all(taken.map((t) => ctx.store.releaseLock(t.kind, t.identifier, runId, t.scope)));
    if (err instanceof LockHeldError) throw held(err.holderRunId);
    throw err;
  }
}

/** At most `max` characters, saying how many were cut. */
function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** What a rejection keeps of an invalid request: a bounded JSON preview and its fields read safely. */
export function invalidRequest(raw: unknown): InvalidRequest {
  let json: string;
  try {
    json = JSON.stringify(raw) ?? String(raw);
  } catch {
    json = String(raw);
  }
  // Own fields only: a request named like JavaScript's object internals reads nothing from the prototype.
  const field = (name: string): unknown =>
    raw && typeof raw === 'object' ? Object.getOwnPropertyDescriptor(raw, name)?.value : undefined;
  return {
    preview: json.length > PREVIEW_MAX ? `${json.slice(0, PREVIEW_MAX)}...` : json,
    text: (name, max) => {
      const value = field(name);
      return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;
    },
    flag: (name) => {
      const value = field(name);
      return typeof value === 'boolean' ? value : undefined;
    },
  };
}

function rejectedRun(runId: string, own: RejectedRun, refusal: IntakeRefusal, now: Date): NewRun {
  const { answer, ...fields } = own;
  return {
    runId,
    ...fields,
    status: 'rejected',
    names: {},
    warnings: [],
    resources: {},
    rejection: { code: refusal.code, reason: refusal.message },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    outbox: [{ ...answer, at: now.toISOString() }],
  };
}

/** Writes a new run record and publishes its outbox; a concurrent delivery that wrote it first wins. */
async function createOrFlush(ctx: ServiceContext, record: NewRun): Promise<void> {
  try {
    await publishCreated(ctx, await ctx.store.createRun(record));
  } catch (err) {
    if (!(err instanceof StaleWriteError)) throw err;
    // A concurrent delivery of the same request created it first.
    const existing = await ctx.store.getRun(record.runId);
    if (existing) await flushOutbox(ctx, existing);
  }
}
