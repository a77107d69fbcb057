/**
 * DynamoDB and SQS keyed by account and region through the edge, and cross-region read replicas, with
 * the real SDK.
 */
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  PromoteReadReplicaCommand,
} from '@aws-sdk/client-rds';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  clientsFor,
  errorOf,
  eventIdsOf,
  eventually,
  statusesOf,
  type Clients,
  spawnRdsCloud,
} from './places';

let cloud: LocalCloud;
let a: Clients;
let aWest: Clients;
let b: Clients;

beforeAll(async () => {
  cloud = await spawnRdsCloud();
  a = clientsFor(cloud.endpoint, 'test', 'us-east-1');
  aWest = clientsFor(cloud.endpoint, 'test', 'us-west-2');
  b = clientsFor(cloud.endpoint, ACCOUNT_B, 'us-east-1');
});
afterAll(async () => {
  for (const x of [a, aWest, b]) x?.destroy();
  await cloud?.stop();
});

it('DynamoDB: each account and region has its own tables, with ARNs of their own', async () => {
  const table = {
    TableName: 'runs',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
  await aWest.dynamodb.send(new CreateTableCommand(table));
  expect((await a.dynamodb.send(new ListTablesCommand({}))).TableNames).not.toContain('runs');
  expect((await b.dynamodb.send(new ListTablesCommand({}))).TableNames).not.toContain('runs');
  const { Table } = await aWest.dynamodb.send(new DescribeTableCommand({ TableName: 'runs' }));
  expect(Table?.TableArn).toBe(`arn:aws:dynamodb:us-west-2:${ACCOUNT_A}:table/runs`);
  await b.dynamodb.send(new CreateTableCommand(table));
  const inB = await b.dynamodb.send(new DescribeTableCommand({ TableName: 'runs' }));
  expect(inB.Table?.TableArn).toBe(`arn:aws:dynamodb:us-east-1:${ACCOUNT_B}:table/runs`);
});

it('SQS: each account has its own queues; URLs and ARNs carry the account and region', async () => {
  const { QueueUrl } = await b.sqs.send(new CreateQueueCommand({ QueueName: 'b-inbox' }));
  expect(QueueUrl).toBe(`${cloud.endpoint}/${ACCOUNT_B}/b-inbox`);
  const attrs = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  expect(attrs.Attributes?.QueueArn).toBe(`arn:aws:sqs:us-east-1:${ACCOUNT_B}:b-inbox`);
  expect((await a.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).not.toContain(
    `${cloud.endpoint}/${ACCOUNT_A}/b-inbox`,
  );
  expect((await b.sqs.send(new ListQueuesCommand({}))).QueueUrls).toEqual([QueueUrl]);
  await aWest.sqs.send(new CreateQueueCommand({ QueueName: 'west-only' }));
  expect((await a.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).not.toContain(
    `${cloud.endpoint}/${ACCOUNT_A}/west-only`,
  );
});

describe('CreateDBInstanceReadReplica across regions', () => {
  beforeAll(async () => {
    for (const [id, encrypted] of [
      ['primary', false],
      ['vault', true],
    ] as const) {
      await a.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          MasterUsername: 'app',
          AllocatedStorage: 20,
          BackupRetentionPeriod: 7,
          StorageEncrypted: encrypted,
        }),
      );
    }
    await eventually(
      () => a.rds.send(new DescribeDBInstancesCommand({})),
      (r) => (r.DBInstances ?? []).every((i) => i.DBInstanceStatus === 'available'),
    );
  });

  it('creates the replica in the calling region from the source ARN', async () => {
    const sourceArn = `arn:aws:rds:us-east-1:${ACCOUNT_A}:db:primary`;
    const { DBInstance } = await aWest.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'primary-dr',
        SourceDBInstanceIdentifier: sourceArn,
      }),
    );
    expect(DBInstance).toMatchObject({
      DBInstanceStatus: 'creating',
      ReadReplicaSourceDBInstanceIdentifier: sourceArn,
      BackupRetentionPeriod: 0,
      DBInstanceArn: `arn:aws:rds:us-west-2:${ACCOUNT_A}:db:primary-dr`,
      DBParameterGroups: [expect.objectContaining({ DBParameterGroupName: 'default.postgres16' })],
    });
    // The copy of the source's snapshot sits in the destination while the replica loads it.
    const seed = (await aWest.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'automated' })))
      .DBSnapshots;
    expect(seed?.map((s) => [s.DBInstanceIdentifier, s.Status])).toEqual([['primary', 'creating']]);
    const source = (await a.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'primary' })))
      .DBInstances?.[0];
    expect(source?.ReadReplicaDBInstanceIdentifiers).toEqual([DBInstance?.DBInstanceArn]);

    await eventually(
      () => aWest.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'primary-dr' })),
      (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
    );
    expect(await statusesOf(cloud.endpoint, 'primary-dr', ACCOUNT_A, 'us-west-2')).toEqual([
      'creating',
      'available',
    ]);
    expect(await statusesOf(cloud.endpoint, 'primary', ACCOUNT_A, 'us-east-1')).toEqual(
      expect.arrayContaining(['modifying', 'available']),
    );
    expect(await eventIdsOf(cloud.endpoint, 'primary-dr', ACCOUNT_A, 'us-west-2')).toEqual([
      'RDS-EVENT-0005',
    ]);
    expect(
      (await aWest.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'automated' }))).DBSnapshots,
    ).toEqual([]);

    // Promotion: modifying, reboot, available as a standalone instance with backups.
    const promoted = await aWest.rds.send(
      new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'primary-dr', BackupRetentionPeriod: 7 }),
    );
    expect(promoted.DBInstance?.DBInstanceStatus).toBe('modifying');
    const standalone = await eventually(
      () => aWest.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'primary-dr' })),
      (r) =>
        r.DBInstances?.[0]?.DBInstanceStatus === 'available' && r.DBInstances[0].BackupRetentionPeriod === 7,
    );
    expect(standalone.DBInstances?.[0]?.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    const after = (await a.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'primary' })))
      .DBInstances;
    expect(after?.[0]?.ReadReplicaDBInstanceIdentifiers).toEqual([]);
    expect(await eventIdsOf(cloud.endpoint, 'primary-dr', ACCOUNT_A, 'us-west-2')).toEqual([
      'RDS-EVENT-0005',
      'RDS-EVENT-0004',
      'RDS-EVENT-0006',
    ]);
    const again = await errorOf(
      aWest.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'primary-dr' })),
    );
    expect(again?.name).toBe('InvalidDBInstanceState');
  });

  it('an encrypted source needs a key of the destination region; another account cannot replicate', async () => {
    const sourceArn = `arn:aws:rds:us-east-1:${ACCOUNT_A}:db:vault`;
    const noKey = await errorOf(
      aWest.rds.send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: 'vault-dr',
          SourceDBInstanceIdentifier: sourceArn,
        }),
      ),
    );
    expect(noKey?.name).toBe('InvalidParameterValue');
    const westKey = (await aWest.kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn;
    const { DBInstance } = await aWest.rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'vault-dr',
        SourceDBInstanceIdentifier: sourceArn,
        KmsKeyId: westKey,
      }),
    );
    expect(DBInstance).toMatchObject({ StorageEncrypted: true, KmsKeyId: westKey });
    const otherAccount = await errorOf(
      b.rds.send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: 'stolen',
          SourceDBInstanceIdentifier: sourceArn,
        }),
      ),
    );
    expect(otherAccount?.name).toBe('DBInstanceNotFound');
  });
});

it('the RDS API limit is per account and region', async () => {
  const limited = await spawnLocalCloud({
    provision: false,
    functions: false,
    rds: { throttle: { enabled: true, burst: 3, refillPerSecond: 0.001 } },
  });
  const clients = [
    clientsFor(limited.endpoint, 'test', 'us-east-1'),
    clientsFor(limited.endpoint, 'test', 'us-west-2'),
    clientsFor(limited.endpoint, ACCOUNT_B, 'us-east-1'),
  ];
  try {
    for (const c of clients) {
      for (let i = 0; i < 3; i++) await c.rds.send(new DescribeDBInstancesCommand({}));
    }
    // Each account and region spent its own burst of 3; the next call in any of them is refused.
    const refused = await errorOf(clients[0]!.rds.send(new DescribeDBInstancesCommand({})));
    expect(refused?.name).toBe('Throttling');
  } finally {
    for (const c of clients) c.destroy();
    await limited.stop();
  }
});
