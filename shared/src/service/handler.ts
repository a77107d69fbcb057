import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isEventName, parseEvent } from '../contracts/parse';
import type { EventDetail, EventName } from '../contracts/events';
import { StaleWriteError } from '../errors';
import { StepMismatchError } from '../plans';
import { normaliseRdsEvent, type RdsEvent } from '../rds/rdsEvents';
import { RDS_EVENT_SOURCES, type ServiceName } from '../topology';
import { createContext, DLQ_ATTRIBUTES, sendToOwnDlq, type ServiceContext } from './context';
import { flushOutbox, isFlushRequest } from './runs';
import { isDeadlineCheck, type DeadlineCheck } from './waiting';

/** The EventBridge envelope as delivered to an SQS target. */
export interface Envelope {
  version?: string;
  id: string;
  'detail-type': string;
  source: string;
  time?: string;
  resources?: string[];
  detail: unknown;
  'replay-name'?: string;
  /** The account that put the event (kept when a rule forwards it to another account's bus). */
  account?: string;
  region?: string;
  /**
   * Set when the message is an event EventBridge could not deliver to a rule's target and put in this
   * queue as that target's dead-letter queue (its `ERROR_CODE` / `ERROR_MESSAGE` / `TARGET_ARN`
   * attributes), e.g. another account's bus refusing it.
   */
  deadLettered?: { code: string; message: string; targetArn?: string };
}

export type EventRoutes = {
  [N in EventName]?: (detail: EventDetail<N>, envelope: Envelope, ctx: ServiceContext) => Promise<void>;
};

export interface InboxRoutes {
  /** Rewind events by detail-type, validated against their contract. */
  events?: EventRoutes;
  /** `RestoreRequested` arrives raw: intake validates it and rejects with a reason. */
  raw?: { [detailType: string]: (detail: unknown, envelope: Envelope, ctx: ServiceContext) => Promise<void> };
  rds?: (event: RdsEvent, envelope: Envelope, ctx: ServiceContext) => Promise<void>;
  check?: (check: DeadlineCheck, ctx: ServiceContext) => Promise<void>;
}

/** Reads a run and flushes its outbox; `confirmed` are events known to be published already. */
export async function loadRun(ctx: ServiceContext, runId: string, confirmed: string[] = []) {
  const run = await ctx.store.getRun(runId);
  return run ? flushOutbox(ctx, run, confirmed) : undefined;
}

/**
 * A message that can never be processed (not JSON, not a known kind, an event that fails its contract):
 * retrying it cannot help, so the handler moves it to the inbox DLQ at once, tagged with the reason.
 */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

const IN_PROCESS_ATTEMPTS = 3;

/** The run a message belongs to, when it says (for the log line of a failure). */
function runIdOf(body: string): string | undefined {
  try {
    const b = JSON.parse(body) as { runId?: string; detail?: { run?: { id?: string }; runId?: string } };
    return b.runId ?? b.detail?.run?.id ?? b.detail?.runId;
  } catch {
    return undefined;
  }
}

/** The attributes EventBridge sets on an event it dead-letters (absent on an ordinary delivery). */
function deadLetterOf(record: SQSRecord): Envelope['deadLettered'] {
  const attrs = record.messageAttributes ?? {};
  const code = attrs.ERROR_CODE?.stringValue;
  if (!code) return undefined;
  return {
    code,
    message: attrs.ERROR_MESSAGE?.stringValue ?? '',
    targetArn: attrs.TARGET_ARN?.stringValue,
  };
}

async function route(record: SQSRecord, routes: InboxRoutes, ctx: ServiceContext): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new PoisonMessageError(`message body is not JSON: ${record.body.slice(0, 200)}`);
  }
  if (isFlushRequest(body)) {
    await loadRun(ctx, body.runId);
    return;
  }
  if (isDeadlineCheck(body)) {
    if (!routes.check) throw new PoisonMessageError(`${ctx.service} does not take deadline checks`);
    return routes.check(body, ctx);
  }
  const envelope = body as Envelope;
  if (!envelope || typeof envelope !== 'object' || typeof envelope['detail-type'] !== 'string') {
    throw new PoisonMessageError(
      'message is neither an EventBridge event, a deadline check nor an outbox flush',
    );
  }
  const deadLettered = deadLetterOf(record);
  if (deadLettered) envelope.deadLettered = deadLettered;
  const type = envelope['detail-type'];
  if ((RDS_EVENT_SOURCES as readonly string[]).includes(envelope.source)) {
    const rdsEvent = normaliseRdsEvent(envelope as Parameters<typeof normaliseRdsEvent>[0]);
    if (rdsEvent && routes.rds) await routes.rds(rdsEvent, envelope, ctx);
    return;
  }
  const raw = routes.raw?.[type];
  if (raw) return raw(envelope.detail, envelope, ctx);
  const handler = isEventName(type) ? routes.events?.[type] : undefined;
  if (!handler) {
    ctx.log.debug('event not handled by this service', { detailType: type, eventId: envelope.id });
    return;
  }
  const parsed = parseEvent(type as EventName, envelope.detail);
  if (!parsed.ok) throw new PoisonMessageError(parsed.message);
  await (handler as (d: unknown, e: Envelope, c: ServiceContext) => Promise<void>)(
    parsed.value,
    envelope,
    ctx,
  );
}

/** Runs one record; lost races (stale writes) are retried at once, since each attempt re-reads state. */
async function processRecord(record: SQSRecord, routes: InboxRoutes, ctx: ServiceContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await route(record, routes, ctx);
    } catch (err) {
      if (err instanceof StepMismatchError) {
        ctx.log.info('stale or duplicate message ignored', {
          messageId: record.messageId,
          reason: err.message,
        });
        return;
      }
      if (err instanceof StaleWriteError && attempt < IN_PROCESS_ATTEMPTS) continue;
      throw err;
    }
  }
}

/**
 * Sends a poison message to the service's inbox DLQ with why (`rewind-failure-class` = poison,
 * `rewind-failure-reason`, `rewind-service`), so it is not retried for maxReceiveCount visibility timeouts
 * and `rewind dlq` can tell it from a transient failure. False when the DLQ refused it: then the message is
 * reported failed and takes the queue's own redrive path.
 */
async function movedToDlq(
  ctx: ServiceContext,
  record: SQSRecord,
  err: PoisonMessageError,
  runId: string | undefined,
): Promise<boolean> {
  const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
  try {
    await sendToOwnDlq(ctx, record.body, {
      [DLQ_ATTRIBUTES.failureClass]: attribute('poison'),
      [DLQ_ATTRIBUTES.failureReason]: attribute(err.message.slice(0, 1000) || 'poison message'),
      [DLQ_ATTRIBUTES.service]: attribute(ctx.service),
    });
  } catch (sendErr) {
    ctx.log.error('poison message could not be moved to the DLQ; it takes the retry path', {
      runId,
      messageId: record.messageId,
      error: sendErr,
    });
    return false;
  }
  ctx.log.error('poison message moved to the DLQ: it can never be processed as it is', {
    runId,
    messageId: record.messageId,
    reason: err.message,
  });
  return true;
}

/** A service's Lambda handler, carrying the routes it was built with (read by the routing test). */
export type InboxHandler = ((event: SQSEvent) => Promise<SQSBatchResponse>) & {
  readonly service: ServiceName;
  readonly routes: InboxRoutes;
};

/**
 * The Lambda handler of a service inbox: routes each SQS record by kind and detail-type, processes
 * records concurrently, and reports the failed ones (partial batch response) so only they come back.
 */
export function inboxHandler(
  service: ServiceName,
  routes: InboxRoutes,
  contextFactory: () => ServiceContext = () => createContext(service),
): InboxHandler {
  const handle = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const ctx = contextFactory();
    const results = await Promise.all(
      event.Records.map(async (record) => {
        try {
          await processRecord(record, routes, ctx);
          return undefined;
        } catch (err) {
          const runId = runIdOf(record.body);
          if (err instanceof PoisonMessageError && (await movedToDlq(ctx, record, err, runId)))
            return undefined;
          ctx.log.warn('message failed; it will be retried, then moved to the DLQ', {
            runId,
            messageId: record.messageId,
            receiveCount: record.attributes?.ApproximateReceiveCount,
            error: err,
          });
          return { itemIdentifier: record.messageId };
        }
      }),
    );
    return { batchItemFailures: results.filter((r): r is { itemIdentifier: string } => r !== undefined) };
  };
  return Object.assign(handle, { service, routes });
}
