import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { failureClassOf, moveMessages, peek } from '../src/queues';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });
const string = (value: string) => ({ DataType: 'String', StringValue: value });

const poison: Message = {
  MessageId: 'm-poison',
  ReceiptHandle: 'rh-poison',
  Body: 'not json',
  MessageAttributes: {
    'rewind-failure-class': string('poison'),
    'rewind-failure-reason': string('the body is not JSON'),
    'rewind-service': string('restore'),
  },
};
const transient: Message = {
  MessageId: 'm-transient',
  ReceiptHandle: 'rh-transient',
  Body: '{"detail-type":"RunStarted"}',
  MessageAttributes: { 'trace-id': string('abc') },
};
const delivered: Message = {
  MessageId: 'm-delivery',
  ReceiptHandle: 'rh-delivery',
  Body: '{"detail-type":"SnapshotReady"}',
  MessageAttributes: {
    ERROR_CODE: string('SQS.ThrottlingException'),
    ERROR_MESSAGE: string('Rate exceeded'),
    RULE_ARN: string('arn:aws:events:us-east-1:000000000000:rule/rewind-local/x'),
    TARGET_ARN: string('arn:aws:sqs:us-east-1:000000000000:rewind-local-restore-inbox'),
  },
};

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `new-${e.Id}`, MD5OfMessageBody: 'x' })),
  }));
  sqsMock.on(DeleteMessageBatchCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
});

describe('classifying and moving DLQ messages', () => {
  test('the class comes from the attributes, never from the receive count', () => {
    const counted = (m: Message): Message => ({ ...m, Attributes: { ApproximateReceiveCount: '42' } });
    expect(failureClassOf(counted(poison), 'inbox-dlq')).toBe('poison');
    expect(failureClassOf(counted(transient), 'inbox-dlq')).toBe('transient');
    expect(failureClassOf(counted(delivered), 'target-dlq')).toBe('delivery');
  });

  test('redrive leaves poison messages in place, visible again, and sends the rest without the attributes of the failure', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [poison, transient, delivered] })
      .resolves({ Messages: [] });

    const result = await moveMessages(
      sqs,
      'dlq-url',
      'inbox-url',
      (m) => failureClassOf(m, 'inbox-dlq') === 'poison',
    );

    expect(result).toMatchObject({ moved: 2, failed: 0 });
    expect(result.kept.map((m) => m.MessageId)).toEqual(['m-poison']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: 'dlq-url',
      MessageAttributeNames: ['All'],
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueUrl: 'inbox-url',
        Entries: [
          { Id: '0', MessageBody: transient.Body, MessageAttributes: { 'trace-id': string('abc') } },
          { Id: '1', MessageBody: delivered.Body, MessageAttributes: undefined },
        ],
      },
    ]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-transient' },
      { Id: '1', ReceiptHandle: 'rh-delivery' },
    ]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: 'dlq-url', Entries: [{ Id: '0', ReceiptHandle: 'rh-poison', VisibilityTimeout: 0 }] },
    ]);
  });

  test('peek asks for the message attributes and makes every message visible again at once', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [poison, transient] })
      .resolves({ Messages: [] });

    const seen = await peek(sqs, 'dlq-url', 10);

    expect(seen.map((m) => m.MessageId)).toEqual(['m-poison', 'm-transient']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['SentTimestamp'],
    });
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-poison', VisibilityTimeout: 0 },
      { Id: '1', ReceiptHandle: 'rh-transient', VisibilityTimeout: 0 },
    ]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });
});
