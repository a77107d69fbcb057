import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { provision, TARGET_RETRY_POLICY } from '../../local/src/provision/provision';

/**
 * What the local cloud's provisioning (`local/src/provision`) asks AWS for, captured with mocked clients:
 * the same calls it makes against the local endpoint or a real account.
 */
export interface LocalProvisioning {
  rules: { name: string; busName: string; pattern: unknown; target: Record<string, unknown> }[];
  queues: Map<string, Record<string, string>>;
  table: { name: string; keys: unknown; indexes: string[]; ttl?: string };
  topic: string;
  retryPolicy: typeof TARGET_RETRY_POLICY;
}

export async function captureLocalProvisioning(prefix: string): Promise<LocalProvisioning> {
  const events = mockClient(EventBridgeClient);
  const sqs = mockClient(SQSClient);
  const sns = mockClient(SNSClient);
  const dynamodb = mockClient(DynamoDBClient);
  const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:123456789012:${resource}`;
  const queueUrls = new Map<string, string>();
  try {
    events.on(CreateEventBusCommand).resolves({});
    events.on(DescribeEventBusCommand).callsFake((i) => ({ Arn: arn('events', `event-bus/${i.Name}`) }));
    events.on(CreateArchiveCommand).resolves({});
    events
      .on(DescribeArchiveCommand)
      .callsFake((i) => ({ ArchiveArn: arn('events', `archive/${i.ArchiveName}`) }));
    events
      .on(PutRuleCommand)
      .callsFake((i) => ({ RuleArn: arn('events', `rule/${i.EventBusName}/${i.Name}`) }));
    events.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
    sqs.on(CreateQueueCommand).callsFake((i) => {
      queueUrls.set(`https://sqs/${i.QueueName}`, i.QueueName);
      return { QueueUrl: `https://sqs/${i.QueueName}` };
    });
    sqs.on(SetQueueAttributesCommand).resolves({});
    sqs.on(GetQueueAttributesCommand).callsFake((i) => ({
      Attributes: { QueueArn: arn('sqs', queueUrls.get(i.QueueUrl)!) },
    }));
    sns.on(CreateTopicCommand).callsFake((i) => ({ TopicArn: arn('sns', i.Name) }));
    dynamodb.on(CreateTableCommand).resolves({});
    dynamodb.on(DescribeTableCommand).callsFake((i) => ({
      Table: { TableStatus: 'ACTIVE', TableArn: arn('dynamodb', `table/${i.TableName}`) },
    }));
    dynamodb.on(UpdateTimeToLiveCommand).resolves({});

    await provision({ prefix, region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });

    const targets = events.commandCalls(PutTargetsCommand).map((c) => c.args[0].input);
    const rules = events.commandCalls(PutRuleCommand).map((c) => {
      const input = c.args[0].input;
      const target = targets.find((t) => t.Rule === input.Name)?.Targets?.[0] ?? {};
      return {
        name: input.Name!,
        busName: input.EventBusName!,
        pattern: JSON.parse(input.EventPattern!),
        target: target as Record<string, unknown>,
      };
    });
    const queues = new Map<string, Record<string, string>>();
    for (const c of sqs.commandCalls(CreateQueueCommand)) queues.set(c.args[0].input.QueueName!, {});
    for (const c of sqs.commandCalls(SetQueueAttributesCommand)) {
      const name = queueUrls.get(c.args[0].input.QueueUrl!)!;
      Object.assign(queues.get(name)!, c.args[0].input.Attributes);
    }
    const table = dynamodb.commandCalls(CreateTableCommand)[0]!.args[0].input;
    return {
      rules,
      queues,
      table: {
        name: table.TableName!,
        keys: table.KeySchema,
        indexes: (table.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName!),
        ttl: dynamodb.commandCalls(UpdateTimeToLiveCommand)[0]?.args[0].input.TimeToLiveSpecification
          ?.AttributeName,
      },
      topic: sns.commandCalls(CreateTopicCommand)[0]!.args[0].input.Name!,
      retryPolicy: TARGET_RETRY_POLICY,
    };
  } finally {
    events.restore();
    sqs.restore();
    sns.restore();
    dynamodb.restore();
  }
}
