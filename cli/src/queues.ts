import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Clients } from './context';
import {
  DLQ_ATTRIBUTES,
  isDeadlineCheck,
  isFlushRequest,
  SERVICE_NAMES,
  type ResourceNames,
  type ServiceName,
} from '@rewind/shared';

export type DlqKind = 'inbox-dlq' | 'target-dlq';

export interface DlqRef {
  service: ServiceName;
  kind: DlqKind;
  name: string;
  /** Where redrive sends its messages: the service inbox. */
  inboxName: string;
}

/** Each service's inbox DLQ (messages its function failed) and target DLQ (events EventBridge could not deliver). */
export function dlqsOf(names: ResourceNames, service?: ServiceName): DlqRef[] {
  return (service ? [service] : SERVICE_NAMES).flatMap((s) => [
    { service: s, kind: 'inbox-dlq' as const, name: names.inboxDlq(s), inboxName: names.inboxQueue(s) },
    { service: s, kind: 'target-dlq' as const, name: names.targetDlq(s), inboxName: names.inboxQueue(s) },
  ]);
}

export async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

export async function approximateCount(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * SQS message attributes the inbox handler sets on a message it can never process (poison), when it moves
 * the message to its service's inbox DLQ itself (shared/src/service/handler.ts).
 */
const FAILURE_ATTRIBUTES = DLQ_ATTRIBUTES;

/** Attributes EventBridge sets on an event it could not deliver to a target, in the target's DLQ. */
const DELIVERY_ATTRIBUTES = ['ERROR_CODE', 'ERROR_MESSAGE', 'RULE_ARN', 'TARGET_ARN'] as const;

/**
 * Why a message is in a DLQ: `poison` (the handler found it can never be processed, and moved it at once),
 * `transient` (its handler failed on every receive up to the inbox's maxReceiveCount: SQS moved it),
 * `delivery` (EventBridge could not deliver it to the inbox).
 */
export type FailureClass = 'poison' | 'transient' | 'delivery';

export interface PeekedMessage {
  messageId: string;
  failureClass: FailureClass;
  detailType?: string;
  runId?: string;
  sentAt?: string;
  /** The handler's reason (poison) or EventBridge's error (delivery). */
  reason?: string;
  /** Why it is in the DLQ. */
  why: string;
  /** What to do about it. */
  action: string;
  body: string;
}

const BODY_CHARS = 200;

const attributeOf = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

export function failureClassOf(message: Message, kind: DlqKind): FailureClass {
  if (kind === 'target-dlq') return 'delivery';
  return attributeOf(message, FAILURE_ATTRIBUTES.failureClass) === 'poison' ? 'poison' : 'transient';
}

/** What the body says it is: an event's detail-type, a deadline check, an outbox flush; and its run. */
function describeBody(body: string): { detailType?: string; runId?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (isDeadlineCheck(parsed)) return { detailType: `deadline check (${parsed.step})`, runId: parsed.runId };
  if (isFlushRequest(parsed)) return { detailType: 'outbox flush', runId: parsed.runId };
  const envelope = parsed as {
    'detail-type'?: unknown;
    detail?: { run?: { id?: unknown }; runId?: unknown };
  };
  const runId = envelope.detail?.run?.id ?? envelope.detail?.runId;
  return {
    detailType: typeof envelope['detail-type'] === 'string' ? envelope['detail-type'] : undefined,
    runId: typeof runId === 'string' ? runId : undefined,
  };
}

/**
 * What a DLQ message is, why it is there and what to do: from the attributes the handler (poison) or
 * EventBridge (delivery) set on it; a message in an inbox DLQ without them exhausted its receives.
 */
export function explainMessage(message: Message, dlq: DlqRef): PeekedMessage {
  const body = message.Body ?? '';
  const sent = message.Attributes?.SentTimestamp;
  const failureClass = failureClassOf(message, dlq.kind);
  const base = {
    messageId: message.MessageId ?? '?',
    failureClass,
    ...describeBody(body),
    sentAt: sent ? new Date(Number(sent)).toISOString() : undefined,
    body: body.slice(0, BODY_CHARS),
  };
  if (failureClass === 'poison') {
    const reason = attributeOf(message, FAILURE_ATTRIBUTES.failureReason) ?? '(no reason given)';
    return {
      ...base,
      reason,
      why: `poison: the ${dlq.service} function can never process it as it is (${reason}); it was moved here at once, not retried`,
      action: `redriving it would only fail again: fix what sent it; once a handler that accepts it is deployed, rewind redrive ${dlq.service} --include-poison`,
    };
  }
  if (failureClass === 'delivery') {
    const reason =
      [attributeOf(message, 'ERROR_CODE'), attributeOf(message, 'ERROR_MESSAGE')].filter(Boolean).join(' ') ||
      undefined;
    return {
      ...base,
      reason,
      why: `EventBridge could not deliver it to ${dlq.inboxName}${reason ? `: ${reason}` : ''}`,
      action: `check that ${dlq.inboxName} exists and its queue policy lets the rule send, then rewind redrive ${dlq.service}`,
    };
  }
  return {
    ...base,
    why: `transient: the ${dlq.service} function failed it on every receive, until SQS moved it here; the error is in the function's logs${base.runId ? ` (run ${base.runId})` : ''}`,
    action: `fix the cause (throttling, permissions, an outage), then rewind redrive ${dlq.service}`,
  };
}

/** Makes received messages visible again at once. */
async function release(sqs: SQSClient, url: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: batch.map((m, n) => ({
          Id: String(n),
          ReceiptHandle: m.ReceiptHandle!,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/**
 * Reads up to `limit` messages without consuming them: received with a short visibility timeout (so a
 * message is seen once) and their attributes, then made visible again at once. SQS counts each receive,
 * but a DLQ has no redrive policy of its own, so nothing moves because of it.
 */
export async function peek(sqs: SQSClient, url: string, limit: number): Promise<Message[]> {
  const seen: Message[] = [];
  try {
    while (seen.length < limit) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, limit - seen.length),
          VisibilityTimeout: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (!out.Messages?.length) break;
      seen.push(...out.Messages);
    }
  } finally {
    await release(sqs, url, seen);
  }
  return seen;
}

/** Why a message failed belongs to that failure: a redriven message starts clean. */
const FAILURE_ONLY = new Set<string>([...Object.values(FAILURE_ATTRIBUTES), ...DELIVERY_ATTRIBUTES]);

function copyAttributes(m: Message): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(m.MessageAttributes ?? {}).filter(
    ([k, v]) => v.DataType && !FAILURE_ONLY.has(k),
  );
  return entries.length
    ? Object.fromEntries(
        entries.map(([k, v]) => [
          k,
          { DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue },
        ]),
      )
    : undefined;
}

export interface MoveResult {
  moved: number;
  failed: number;
  /** Messages left in place because `keep` said so (visible again). */
  kept: Message[];
}

/**
 * Moves every message from one queue to another, except those `keep` returns true for: receive, send
 * (same body and attributes, without those that described the failure), delete what was sent; kept
 * messages are made visible again. One code path for every endpoint: fauxqs (the local cloud's SQS) has no
 * StartMessageMoveTask, and an EventBridge target DLQ is no queue's redrive DLQ, which it requires.
 */
export async function moveMessages(
  sqs: SQSClient,
  fromUrl: string,
  toUrl: string,
  keep: (m: Message) => boolean = () => false,
): Promise<MoveResult> {
  let moved = 0;
  let failed = 0;
  const failedIds = new Set<string>();
  const kept = new Map<string, Message>();
  try {
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: fromUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      const received = (out.Messages ?? []).filter(
        (m) => !failedIds.has(m.MessageId!) && !kept.has(m.MessageId!),
      );
      if (!received.length) break;
      for (const m of received) if (keep(m)) kept.set(m.MessageId!, m);
      const messages = received.filter((m) => !kept.has(m.MessageId!));
      if (!messages.length) continue;
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: toUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body!,
            MessageAttributes: copyAttributes(m),
          })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      for (const [i, m] of messages.entries()) if (!ok.has(i)) failedIds.add(m.MessageId!);
      failed += messages.length - ok.size;
      const toDelete = messages.filter((_, i) => ok.has(i));
      if (toDelete.length) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: fromUrl,
            Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
      moved += toDelete.length;
    }
  } finally {
    await release(sqs, fromUrl, [...kept.values()]);
  }
  return { moved, failed, kept: [...kept.values()] };
}

export interface DlqContents {
  queue: string;
  service: ServiceName;
  kind: DlqKind;
  /** Where a redrive sends its messages. */
  inbox: string;
  approximateCount: number;
  /** The first `limit` messages, explained. */
  messages: PeekedMessage[];
}

/** What is in each DLQ (of every service, or of one) and why, consuming nothing: `rewind dlq`, the console's dead letters. */
export async function inspectDlqs(
  clients: Clients,
  options: { service?: ServiceName; limit: number },
): Promise<DlqContents[]> {
  const queues: DlqContents[] = [];
  for (const dlq of dlqsOf(clients.target.names, options.service)) {
    const url = await queueUrl(clients.sqs, dlq.name);
    const count = await approximateCount(clients.sqs, url);
    const messages = count
      ? (await peek(clients.sqs, url, options.limit)).map((m) => explainMessage(m, dlq))
      : [];
    queues.push({
      queue: dlq.name,
      service: dlq.service,
      kind: dlq.kind,
      inbox: dlq.inboxName,
      approximateCount: count,
      messages,
    });
  }
  return queues;
}

export interface RedriveResult {
  queue: string;
  to: string;
  moved: number;
  failed: number;
  /** Messages left in place: poison ones (unless included), and those not asked for. */
  kept: PeekedMessage[];
}

/** Moves the DLQ messages of every service (or of one) back to its inbox, poison ones only when asked: `rewind redrive`. */
export async function redriveDlqs(
  clients: Clients,
  options: {
    service?: ServiceName;
    includePoison: boolean;
    /** Only these messages (ids), e.g. those a confirmation showed; the others stay and are counted as kept. */
    only?: ReadonlySet<string>;
  },
): Promise<RedriveResult[]> {
  const results: RedriveResult[] = [];
  for (const dlq of dlqsOf(clients.target.names, options.service)) {
    const url = await queueUrl(clients.sqs, dlq.name);
    const keep = (m: Message) =>
      (!options.includePoison && failureClassOf(m, dlq.kind) === 'poison') ||
      (options.only !== undefined && !options.only.has(m.MessageId ?? ''));
    const { moved, failed, kept } = (await approximateCount(clients.sqs, url))
      ? await moveMessages(clients.sqs, url, await queueUrl(clients.sqs, dlq.inboxName), keep)
      : { moved: 0, failed: 0, kept: [] };
    results.push({
      queue: dlq.name,
      to: dlq.inboxName,
      moved,
      failed,
      kept: kept.map((m) => explainMessage(m, dlq)),
    });
  }
  return results;
}
