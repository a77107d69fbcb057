import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { cloudClients } from '../cloudClients';

let cloud: LocalCloud;
let aws: ReturnType<typeof cloudClients>;

beforeAll(async () => {
  cloud = await spawnLocalCloud({ provision: false, functions: false });
  aws = cloudClients(cloud.endpoint);
});
afterAll(async () => {
  aws?.destroy();
  await cloud?.stop();
});

// U+1F600 (an emoji, a surrogate pair in UTF-16) and U+10348: both valid in SQS (#x10000 to #x10FFFF).
const ABOVE_FFFF = 'rollback of orders-db 😀 𐍈';

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

async function receiveOne(url: string): Promise<Message> {
  for (;;) {
    const { Messages } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }),
    );
    if (Messages?.[0]) return Messages[0];
  }
}

describe('SQS message bodies, as in AWS', () => {
  it('accepts characters above U+FFFF (SendMessage and SendMessageBatch) and returns them unchanged', async () => {
    const q = await queue('faithful-bodies');
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: ABOVE_FFFF }));
    // the SDK checks MD5OfBody against the body it sent: a mangled body would throw here
    expect((await receiveOne(q.url)).Body).toBe(ABOVE_FFFF);
    const batch = await aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: q.url,
        Entries: [{ Id: 'a', MessageBody: `${ABOVE_FFFF} 2` }],
      }),
    );
    expect(batch.Failed ?? []).toEqual([]);
    expect((await receiveOne(q.url)).Body).toBe(`${ABOVE_FFFF} 2`);
  });

  it('still refuses what AWS refuses (U+FFFF, a lone surrogate half)', async () => {
    const q = await queue('faithful-refusals');
    for (const body of ['bad \uFFFF', 'bad \uD83D alone']) {
      await expect(
        aws.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body })),
      ).rejects.toMatchObject({
        name: expect.stringContaining('InvalidMessageContents'),
      });
    }
  });
});

describe('EventBridge delivery to SQS, as in AWS', () => {
  async function rule(name: string, target: { arn: string; dlq: string }) {
    await aws.events.send(
      new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [name] }) }),
    );
    await aws.events.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [
          {
            Id: 'inbox',
            Arn: target.arn,
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: target.dlq },
          },
        ],
      }),
    );
  }
  const put = (source: string, detail: object) =>
    aws.events.send(
      new PutEventsCommand({
        Entries: [{ Source: source, DetailType: 'T', Detail: JSON.stringify(detail) }],
      }),
    );

  it('delivers an event whose detail has characters above U+FFFF', async () => {
    const inbox = await queue('emoji-inbox');
    const dlq = await queue('emoji-dlq');
    await rule('emoji', { arn: inbox.arn, dlq: dlq.arn });
    await put('emoji', { reason: ABOVE_FFFF });
    const body = JSON.parse((await receiveOne(inbox.url)).Body!) as { detail: { reason: string } };
    expect(body.detail.reason).toBe(ABOVE_FFFF);
  });

  it('an event that cannot be delivered lands in the target DLQ with why, which rule and which target', async () => {
    const inbox = await queue('gone-inbox');
    const dlq = await queue('gone-dlq');
    await rule('gone', { arn: inbox.arn, dlq: dlq.arn });
    await aws.sqs.send(new DeleteQueueCommand({ QueueUrl: inbox.url }));
    const sent = await put('gone', { reason: ABOVE_FFFF });
    const dead = await receiveOne(dlq.url);
    const event = JSON.parse(dead.Body!) as { id: string; detail: { reason: string } };
    expect(event.id).toBe(sent.Entries?.[0]?.EventId);
    expect(event.detail.reason).toBe(ABOVE_FFFF);
    const attr = (name: string) => dead.MessageAttributes?.[name]?.StringValue;
    expect(attr('RULE_ARN')).toBe('arn:aws:events:us-east-1:000000000000:rule/gone');
    expect(attr('TARGET_ARN')).toBe(inbox.arn);
    expect(attr('ERROR_CODE')).toBe('QueueDoesNotExist');
    // a queue that does not exist is not retried (AWS sends such events to the DLQ at once)
    expect([attr('EXHAUSTED_RETRY_CONDITION'), attr('RETRY_ATTEMPTS')]).toEqual(['NonRetryableError', '0']);
  });
});
