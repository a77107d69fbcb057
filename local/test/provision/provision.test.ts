import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { resourceNames } from '@rewind/shared/src/resourceNames';
import { topology } from '@rewind/shared/src/topology';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { provision } from '../../src/provision/provision';
import { cloudClients } from '../cloudClients';

const names = resourceNames('rewind-prov');
let cloud: LocalCloud;
let aws: ReturnType<typeof cloudClients>;

beforeAll(async () => {
  cloud = await spawnLocalCloud({ prefix: names.prefix, functions: false });
  aws = cloudClients(cloud.endpoint);
});
afterAll(async () => {
  aws?.destroy();
  await cloud?.stop();
});

async function rulesOn(bus: string) {
  const { Rules } = await aws.events.send(
    new ListRulesCommand({ EventBusName: bus, NamePrefix: names.prefix }),
  );
  return Rules ?? [];
}

describe('provisioning from the topology', () => {
  it('creates the Rewind bus and its archive', async () => {
    const bus = await aws.events.send(new DescribeEventBusCommand({ Name: names.busName }));
    expect(bus.Arn).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${names.busName}`);
    const archive = await aws.events.send(new DescribeArchiveCommand({ ArchiveName: names.archiveName }));
    expect(archive.EventSourceArn).toBe(bus.Arn);
  });

  it('creates one rule per topology rule, with its pattern, targeting the inbox with retries and a DLQ', async () => {
    const rules = await rulesOn(names.busName);
    const expected = topology.services.flatMap((s) => s.rules.map((r) => ({ service: s.name, rule: r })));
    expect(rules.map((r) => r.Name).sort()).toEqual(
      expected.map((e) => names.rule(e.service, e.rule.name)).sort(),
    );
    for (const { service, rule } of expected) {
      const deployed = rules.find((r) => r.Name === names.rule(service, rule.name));
      expect(JSON.parse(deployed?.EventPattern ?? 'null')).toEqual(rule.pattern);
      const { Targets } = await aws.events.send(
        new ListTargetsByRuleCommand({ Rule: names.rule(service, rule.name), EventBusName: names.busName }),
      );
      expect(Targets).toEqual([
        expect.objectContaining({
          Arn: `arn:aws:sqs:us-east-1:000000000000:${names.inboxQueue(service)}`,
          DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:000000000000:${names.targetDlq(service)}` },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        }),
      ]);
    }
  });

  it('forwards RDS events from the default bus to the Rewind bus', async () => {
    const rules = await rulesOn('default');
    expect(rules.map((r) => r.Name)).toEqual([names.forwardingRule]);
    expect(JSON.parse(rules[0]?.EventPattern ?? 'null')).toEqual(topology.rdsForwarding.pattern);
    const { Targets } = await aws.events.send(
      new ListTargetsByRuleCommand({ Rule: names.forwardingRule, EventBusName: 'default' }),
    );
    expect(Targets?.map((t) => t.Arn)).toEqual([
      `arn:aws:events:us-east-1:000000000000:event-bus/${names.busName}`,
    ]);
  });

  it('creates per service an inbox with a redrive DLQ and the topology settings, and a target DLQ', async () => {
    const { QueueUrls } = await aws.sqs.send(new ListQueuesCommand({ QueueNamePrefix: names.prefix }));
    expect(QueueUrls).toHaveLength(topology.services.length * 3);
    for (const service of topology.services) {
      const inboxUrl = `${cloud.endpoint}/000000000000/${names.inboxQueue(service.name)}`;
      const { Attributes } = await aws.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: inboxUrl, AttributeNames: ['All'] }),
      );
      expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${names.inboxDlq(service.name)}`,
        maxReceiveCount: service.inbox.maxReceiveCount,
      });
      expect(Attributes?.VisibilityTimeout).toBe(String(service.inbox.visibilityTimeoutSeconds));
      const policy = JSON.parse(Attributes?.Policy ?? '{}') as { Statement: { Condition: unknown }[] };
      expect(policy.Statement[0]?.Condition).toEqual({
        ArnEquals: {
          'aws:SourceArn': service.rules.map((r) =>
            expect.stringContaining(names.rule(service.name, r.name)),
          ),
        },
      });
      expect(QueueUrls).toContain(`${cloud.endpoint}/000000000000/${names.targetDlq(service.name)}`);
    }
  });

  it('creates the state table with its keys, status index and TTL', async () => {
    const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: names.tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: names.statusIndexName,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
    });
    const ttl = await aws.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: names.tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('is idempotent: provisioning again returns the same resources and adds nothing', async () => {
    const before = await cloud.admin.resources();
    const again = await provision({ endpoint: cloud.endpoint, region: 'us-east-1', prefix: names.prefix });
    expect(again).toEqual(before);
    expect(await rulesOn(names.busName)).toHaveLength(topology.services.flatMap((s) => s.rules).length);
    const { QueueUrls } = await aws.sqs.send(new ListQueuesCommand({ QueueNamePrefix: names.prefix }));
    expect(QueueUrls).toHaveLength(topology.services.length * 3);
  });
});
