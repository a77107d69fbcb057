/**
 * Lambda functions subscribed to an SNS topic, run by the local runtime (which consumes queues): the
 * topic delivers to a queue (not raw), and these wrappers turn each queue record's SNS envelope back into
 * the `SNSEvent` record Lambda would have received. The wrapped handler is the deployed one.
 */
import type { SNSEvent, SNSEventRecord, SQSEvent } from 'aws-lambda';
import { handler as rdsSnsAdapterHandler } from '@rewind/shared/src/rds/snsAdapterHandler';

interface SnsEnvelope {
  Type?: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
  UnsubscribeURL?: string;
}

export function snsEventFromQueue(event: SQSEvent): SNSEvent {
  return {
    Records: event.Records.map((record): SNSEventRecord => {
      const sns = JSON.parse(record.body) as SnsEnvelope;
      return {
        EventVersion: '1.0',
        EventSource: 'aws:sns',
        EventSubscriptionArn: `${sns.TopicArn ?? ''}:local`,
        Sns: {
          Type: sns.Type ?? 'Notification',
          MessageId: sns.MessageId ?? record.messageId,
          TopicArn: sns.TopicArn ?? '',
          Subject: sns.Subject ?? '',
          Message: sns.Message ?? '',
          Timestamp: sns.Timestamp ?? new Date().toISOString(),
          SignatureVersion: sns.SignatureVersion ?? '1',
          Signature: sns.Signature ?? '',
          SigningCertUrl: sns.SigningCertURL ?? '',
          UnsubscribeUrl: sns.UnsubscribeURL ?? '',
          MessageAttributes: {},
        },
      };
    }),
  };
}

/** The shared stack's RDS SNS adapter (`shared/src/rds/snsAdapterHandler.handler`), fed from a queue. */
export async function rdsSnsAdapter(event: SQSEvent): Promise<void> {
  await rdsSnsAdapterHandler(snsEventFromQueue(event));
}
