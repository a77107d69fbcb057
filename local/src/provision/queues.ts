import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

/** Creates the queue if needed, then sets its attributes (so running twice, or with changed attributes, is fine). */
export async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<QueueRef> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  if (Object.keys(attributes).length > 0) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  }
  const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = got.Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes ${name} returned no QueueArn`);
  return { name, url: QueueUrl, arn };
}

/** Lets EventBridge rules send to the queue (`aws:SourceArn` = each rule), as AWS requires for SQS targets. */
export function eventBridgeSendPolicy(queueArn: string, ruleArns: readonly string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowRewindRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': [...ruleArns] } },
      },
    ],
  });
}
