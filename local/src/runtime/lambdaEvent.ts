import { randomUUID } from 'node:crypto';
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

export interface EventSource {
  queueArn: string;
  region: string;
}

/** The SDK gives binary values as bytes; the JSON protocol in process as base64 text already. */
const base64 = (b: Uint8Array | string) => (typeof b === 'string' ? b : Buffer.from(b).toString('base64'));

function attributeValue(v: MessageAttributeValue) {
  return {
    stringValue: v.StringValue,
    binaryValue: v.BinaryValue ? base64(v.BinaryValue) : undefined,
    stringListValues: v.StringListValues ?? [],
    binaryListValues: (v.BinaryListValues ?? []).map(base64),
    dataType: v.DataType ?? 'String',
  };
}

function record(message: Message, source: EventSource): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
    ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
  };
  const messageAttributes: SQSMessageAttributes = {};
  for (const [k, v] of Object.entries(message.MessageAttributes ?? {}))
    messageAttributes[k] = attributeValue(v);
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/** The event Lambda's SQS event source mapping passes to a handler. */
export function sqsEvent(messages: readonly Message[], source: EventSource): SQSEvent {
  return { Records: messages.map((m) => record(m, source)) };
}

export interface ContextInput {
  functionName: string;
  region: string;
  accountId: string;
  memoryMb: number;
  deadline: number;
}

/** A Lambda-shaped invocation context. */
export function lambdaContext(input: ContextInput): Context {
  const awsRequestId = randomUUID();
  const unsupported = (name: string) => () => {
    throw new Error(
      `context.${name}() is a legacy callback API; return a value or a promise from the handler`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${input.region}:${input.accountId}:function:${input.functionName}`,
    memoryLimitInMB: String(input.memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, input.deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
