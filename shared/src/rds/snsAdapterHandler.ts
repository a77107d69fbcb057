import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SNSEvent } from 'aws-lambda';
import { ENV } from '../config';
import { PublishError } from '../errors';
import { normaliseRdsNotification } from './snsAdapter';

/**
 * Lambda subscribed to the RDS event-subscription topic: normalises each notification and puts it on the
 * Rewind bus. A failed put throws, so Lambda retries the (asynchronous) invocation, then sends it to the
 * function's dead-letter queue; duplicates are harmless (the services are idempotent).
 */
const client = new EventBridgeClient({});

export async function forwardRdsNotifications(
  event: SNSEvent,
  deps: { client: Pick<EventBridgeClient, 'send'>; busName: string; log?: (message: string) => void },
): Promise<{ published: number; ignored: string[] }> {
  const entries: PutEventsRequestEntry[] = [];
  const ignored: string[] = [];
  for (const record of event.Records) {
    const result = normaliseRdsNotification(record.Sns.Message, { topicArn: record.Sns.TopicArn });
    if (result.kind === 'ignored') {
      ignored.push(`${record.Sns.MessageId}: ${result.reason}`);
      continue;
    }
    const e = result.event;
    entries.push({
      EventBusName: deps.busName,
      Source: e.source,
      DetailType: e.detailType,
      Time: e.time,
      Resources: e.resources,
      Detail: JSON.stringify(e.detail),
    });
  }
  for (const reason of ignored) deps.log?.(`ignored RDS notification ${reason}`);
  for (let i = 0; i < entries.length; i += 10) {
    const batch = entries.slice(i, i + 10);
    const out = await deps.client.send(new PutEventsCommand({ Entries: batch }));
    if (out.FailedEntryCount) {
      const unpublished = (out.Entries ?? []).flatMap((result, index) =>
        result.ErrorCode
          ? [
              {
                detailType: batch[index]?.DetailType ?? '?',
                errorCode: result.ErrorCode,
                errorMessage: result.ErrorMessage ?? '',
              },
            ]
          : [],
      );
      throw new PublishError(deps.busName, unpublished);
    }
  }
  return { published: entries.length, ignored };
}

export async function handler(event: SNSEvent): Promise<void> {
  const busName = process.env[ENV.busName];
  if (!busName)
    throw new Error(`${ENV.busName} is not set; the shared stack sets it on the adapter function`);
  await forwardRdsNotifications(event, { client, busName, log: (m) => console.warn(m) });
}
