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
import {
  isDeadlineCheck,
  isFlushRequest,
  isEventName,
  parseEvent,
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

export interface PeekedMessage {
  messageId: string;
  detailType?: string;
  runId?: string;
  receiveCount: number;
  sentAt?: string;
  /** Why it is in the DLQ, as far as the message tells. */
  why: string;
  body: string;
}

const BODY_CHARS = 200;

/** What a DLQ message is and why it could not be processed (the service's own checks, repeated). */
export function explainMessage(message: Message, kind: DlqKind, inboxName: string): PeekedMessage {
  const body = message.Body ?? '';
  const attr = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 0);
  const sent = message.Attributes?.SentTimestamp;
  const base = {
    messageId: message.MessageId ?? '?',
    receiveCount,
    sentAt: sent ? new Date(Number(sent)).toISOString() : undefined,
    body: body.slice(0, BODY_CHARS),
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ...base, why: 'the body is not JSON (poison message: redrive will fail again)' };
  }
  const envelope = parsed as { 'detail-type'?: unknown; detail?: { run?: { id?: string }; runId?: string } };
  const detailType = typeof envelope['detail-type'] === 'string' ? envelope['detail-type'] : undefined;
  const own = isDeadlineCheck(parsed) || isFlushRequest(parsed);
  const runId =
    isDeadlineCheck(parsed) || isFlushRequest(parsed)
      ? parsed.runId
      : (envelope.detail?.run?.id ?? envelope.detail?.runId);
  const withType = {
    ...base,
    detailType: isDeadlineCheck(parsed)
      ? `deadline check (${parsed.step})`
      : isFlushRequest(parsed)
        ? 'outbox flush'
        : detailType,
    runId,
  };
  if (kind === 'target-dlq') {
    const code = attr('ERROR_CODE');
    const error = attr('ERROR_MESSAGE');
    return {
      ...withType,
      why: `EventBridge could not deliver it to ${inboxName}${code ? `: ${code}` : ''}${error ? ` ${error}` : ''}`,
    };
  }
  if (!own && !detailType) {
    return {
      ...withType,
      why: 'neither an EventBridge event, a deadline check nor an outbox flush (poison message)',
    };
  }
  if (detailType && detailType !== 'RestoreRequested' && isEventName(detailType)) {
    const check = parseEvent(detailType, envelope.detail);
    if (!check.ok) return { ...withType, why: `${check.message} (poison message)` };
  }
  return {
    ...withType,
    why: `its handler failed ${receiveCount > 1 ? `${receiveCount} receives` : 'it'}; see the function logs (likely transient: redrive it)`,
  };
}

/**
 * Reads up to `limit` messages without consuming them: received with a short visibility timeout (so a
 * message is seen once), then made visible again at once.
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
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (!out.Messages?.length) break;
      seen.push(...out.Messages);
    }
  } finally {
    for (let i = 0; i < seen.length; i += 10) {
      const batch = seen.slice(i, i + 10);
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
  return seen;
}

function copyAttributes(m: Message): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(m.MessageAttributes ?? {}).filter(([, v]) => v.DataType);
  return entries.length
    ? Object.fromEntries(
        entries.map(([k, v]) => [
          k,
          { DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue },
        ]),
      )
    : undefined;
}

/**
 * Moves every message from one queue to another: receive, send (same body and attributes), delete what
 * was sent. One code path for every endpoint: fauxqs (the local cloud's SQS) has no StartMessageMoveTask,
 * and an EventBridge target DLQ is no queue's redrive DLQ, which StartMessageMoveTask requires.
 */
export async function moveMessages(
  sqs: SQSClient,
  fromUrl: string,
  toUrl: string,
): Promise<{ moved: number; failed: number }> {
  let moved = 0;
  let failed = 0;
  const failedIds = new Set<string>();
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
    const messages = (out.Messages ?? []).filter((m) => !failedIds.has(m.MessageId!));
    if (!messages.length) break;
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
  return { moved, failed };
}
