/**
 * Snapshot copies across regions through the edge, with the real SDK: the destination region sees the
 * copy (pending -> copying -> available) and its own RDS-EVENT-0059/0060 on its default bus; the KMS
 * rules of aws-facts-copies-dr.md §2; cluster copies are silent and limited to 5 in flight.
 */
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeEventsCommand,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { LocalCloud } from '../../src';
import {
  adminGet,
  clientsFor,
  errorOf,
  eventIdsOf,
  eventually,
  statusesOf,
  ACCOUNT_A,
  type Clients,
  spawnRdsCloud,
} from './places';

let cloud: LocalCloud;
let east: Clients;
let west: Clients;

beforeAll(async () => {
  cloud = await spawnRdsCloud();
  east = clientsFor(cloud.endpoint, 'test', 'us-east-1');
  west = clientsFor(cloud.endpoint, 'test', 'us-west-2');
});
afterAll(async () => {
  east?.destroy();
  west?.destroy();
  await cloud?.stop();
});

async function snapshotOf(
  c: Clients,
  instance: string,
  snapshot: string,
  encrypted: boolean,
): Promise<string> {
  await c.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: instance,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      AllocatedStorage: 20,
      StorageEncrypted: encrypted,
    }),
  );
  await eventually(
    () => c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instance })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
  const { DBSnapshot: snap } = await c.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: snapshot }),
  );
  await eventually(
    () => c.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshot })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  return snap?.DBSnapshotArn as string;
}

const describeIn = (c: Clients, id: string) =>
  c.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })).then((r) => r.DBSnapshots?.[0]);

describe('regions', () => {
  it('each region has its own RDS: ARNs and endpoints name the region', async () => {
    await snapshotOf(west, 'west-db', 'west-db-snap', false);
    const [inWest] = (await west.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    expect(inWest?.DBInstanceArn).toBe(`arn:aws:rds:us-west-2:${ACCOUNT_A}:db:west-db`);
    expect(inWest?.Endpoint?.Address).toMatch(/^west-db\.[a-z0-9]{12}\.us-west-2\.rds\.amazonaws\.com$/);
    expect(inWest?.AvailabilityZone).toMatch(/^us-west-2[abc]$/);
    const inEast = (await east.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    expect(inEast.map((i) => i.DBInstanceIdentifier)).not.toContain('west-db');
    const notFound = await errorOf(
      east.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'west-db' })),
    );
    expect(notFound?.name).toBe('DBInstanceNotFound');
    // An ARN of another region names nothing here either.
    const byArn = await errorOf(
      east.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: inWest?.DBInstanceArn })),
    );
    expect(byArn?.name).toBe('DBInstanceNotFound');
  });
});

describe('CopyDBSnapshot across regions', () => {
  it('copies an unencrypted snapshot into the calling region: pending, copying, available; 0059/0060 there', async () => {
    const sourceArn = await snapshotOf(east, 'orders', 'orders-snap', false);
    // RDS events of us-west-2 reach us-west-2's default bus: route them to a queue to see them.
    const { QueueUrl } = await west.sqs.send(new CreateQueueCommand({ QueueName: 'west-rds-events' }));
    const queueArn = (
      await west.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    expect(queueArn).toBe(`arn:aws:sqs:us-west-2:${ACCOUNT_A}:west-rds-events`);
    await west.events.send(
      new PutRuleCommand({
        Name: 'rds-snapshots',
        EventPattern: '{"source":["aws.rds"],"detail-type":["RDS DB Snapshot Event"]}',
      }),
    );
    await west.events.send(
      new PutTargetsCommand({ Rule: 'rds-snapshots', Targets: [{ Id: 'q', Arn: queueArn }] }),
    );

    // The SDK adds a PreSignedUrl for a source ARN in another region: accepted, not needed.
    const { DBSnapshot: started } = await west.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: sourceArn,
        TargetDBSnapshotIdentifier: 'orders-dr',
      }),
    );
    expect(started).toMatchObject({
      Status: 'pending',
      SourceRegion: 'us-east-1',
      SourceDBSnapshotIdentifier: sourceArn,
      DBSnapshotArn: `arn:aws:rds:us-west-2:${ACCOUNT_A}:snapshot:orders-dr`,
      PercentProgress: 0,
    });
    const done = await eventually(
      () => describeIn(west, 'orders-dr'),
      (s) => s?.Status === 'available',
    );
    expect(done?.PercentProgress).toBe(100);
    expect(done?.AvailabilityZone).toBeDefined();
    expect(await statusesOf(cloud.endpoint, 'orders-dr', ACCOUNT_A, 'us-west-2')).toEqual([
      'pending',
      'copying',
      'available',
    ]);
    expect(await eventIdsOf(cloud.endpoint, 'orders-dr', ACCOUNT_A, 'us-west-2')).toEqual([
      'RDS-EVENT-0059',
      'RDS-EVENT-0060',
    ]);
    expect(await eventIdsOf(cloud.endpoint, 'orders-dr', ACCOUNT_A, 'us-east-1')).toEqual([]);
    const { Events } = await west.rds.send(
      new DescribeEventsCommand({ SourceIdentifier: 'orders-dr', SourceType: 'db-snapshot' }),
    );
    expect(Events?.map((e) => e.Message)).toEqual([
      'Started copy of snapshot orders-snap from region us-east-1.',
      expect.stringMatching(/^Finished copy of snapshot orders-snap from region us-east-1 in \d+ minutes\.$/),
    ]);
    const bodies: { region: string; account: string; detail: { EventID: string; SourceArn: string } }[] = [];
    await eventually(
      async () => {
        const r = await west.sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const m of r.Messages ?? []) bodies.push(JSON.parse(m.Body ?? '{}'));
        return bodies.filter((b) => b.detail.SourceArn.endsWith(':orders-dr')).length;
      },
      (n) => n >= 2,
    );
    const copyEvents = bodies.filter((b) => b.detail.SourceArn.endsWith(':orders-dr'));
    expect(copyEvents.map((b) => [b.region, b.detail.EventID])).toEqual([
      ['us-west-2', 'RDS-EVENT-0059'],
      ['us-west-2', 'RDS-EVENT-0060'],
    ]);
  });

  it('an encrypted snapshot needs a key of the destination region', async () => {
    const sourceArn = await snapshotOf(east, 'billing', 'billing-snap', true);
    const source = (await describeIn(east, 'billing-snap')) as DBSnapshot;
    expect(source.Encrypted).toBe(true);
    expect(source.KmsKeyId).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\//);

    const noKey = await errorOf(
      west.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: sourceArn,
          TargetDBSnapshotIdentifier: 'billing-dr',
        }),
      ),
    );
    expect(noKey).toEqual({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Must specify new KMS key for cross region encrypted snapshot copy'),
    });

    const eastKey = (await east.kms.send(new CreateKeyCommand({ Description: 'east' }))).KeyMetadata?.Arn;
    const wrongRegion = await errorOf(
      west.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: sourceArn,
          TargetDBSnapshotIdentifier: 'billing-dr',
          KmsKeyId: eastKey,
        }),
      ),
    );
    expect(wrongRegion?.name).toBe('KMSKeyNotAccessibleFault');

    const westKey = (await west.kms.send(new CreateKeyCommand({ Description: 'dr copies' }))).KeyMetadata;
    await west.kms.send(new CreateAliasCommand({ AliasName: 'alias/dr', TargetKeyId: westKey?.KeyId }));
    const { DBSnapshot: copy } = await west.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: sourceArn,
        TargetDBSnapshotIdentifier: 'billing-dr',
        KmsKeyId: 'alias/dr',
      }),
    );
    expect(copy).toMatchObject({ Encrypted: true, KmsKeyId: westKey?.Arn, Status: 'pending' });
    await eventually(
      () => describeIn(west, 'billing-dr'),
      (s) => s?.Status === 'available',
    );
  });

  it('a copy in one region is local: creating, available, 0196/0197', async () => {
    await west.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: 'west-db-snap',
        TargetDBSnapshotIdentifier: 'west-db-copy',
      }),
    );
    await eventually(
      () => describeIn(west, 'west-db-copy'),
      (s) => s?.Status === 'available',
    );
    expect(await statusesOf(cloud.endpoint, 'west-db-copy', ACCOUNT_A, 'us-west-2')).toEqual([
      'creating',
      'available',
    ]);
    expect(await eventIdsOf(cloud.endpoint, 'west-db-copy', ACCOUNT_A, 'us-west-2')).toEqual([
      'RDS-EVENT-0196',
      'RDS-EVENT-0197',
    ]);
  });

  it('deleting a copy in progress cancels it (0061)', async () => {
    const sourceArn = (await describeIn(east, 'orders-snap'))?.DBSnapshotArn;
    await west.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: sourceArn,
        TargetDBSnapshotIdentifier: 'orders-cancel',
      }),
    );
    await west.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'orders-cancel' }));
    expect((await errorOf(describeIn(west, 'orders-cancel')))?.name).toBe('DBSnapshotNotFound');
    expect(await eventIdsOf(cloud.endpoint, 'orders-cancel', ACCOUNT_A, 'us-west-2')).toEqual([
      'RDS-EVENT-0059',
      'RDS-EVENT-0061',
    ]);
  });
});

describe('copies of one source database', () => {
  it('run one after another: a later copy stays pending until the earlier one is available', async () => {
    const sourceArn = await snapshotOf(east, 'queue-db', 'queue-db-snap', false);
    for (const target of ['queue-1', 'queue-2']) {
      await west.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: sourceArn,
          TargetDBSnapshotIdentifier: target,
        }),
      );
    }
    await eventually(
      () => describeIn(west, 'queue-1'),
      (s) => s?.Status === 'copying',
    );
    expect((await describeIn(west, 'queue-2'))?.Status).toBe('pending');
    await eventually(
      () => describeIn(west, 'queue-2'),
      (s) => s?.Status === 'available',
    );
    expect(await statusesOf(cloud.endpoint, 'queue-2', ACCOUNT_A, 'us-west-2')).toEqual([
      'pending',
      'copying',
      'available',
    ]);
    const history = await adminGet<{ identifiers: string[]; entries: { status: string; time: string }[] }[]>(
      cloud.endpoint,
      'rds/history?region=us-west-2',
    );
    const when = (id: string, status: string) =>
      history.find((h) => h.identifiers.includes(id))?.entries.find((e) => e.status === status)?.time;
    const firstDone = when('queue-1', 'available') as string;
    const secondStarted = when('queue-2', 'copying') as string;
    expect(firstDone).toBeDefined();
    expect(secondStarted >= firstDone).toBe(true);
  });
});

describe('CopyDBClusterSnapshot across regions', () => {
  it('is silent (no RDS event) and allows 5 copies in flight per destination region', async () => {
    await east.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'ledger',
        Engine: 'aurora-mysql',
        MasterUsername: 'app',
        MasterUserPassword: 'secret123',
      }),
    );
    await eventually(
      () => east.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'ledger' })),
      (r) => (r.DBClusterSnapshots ?? []).some((s) => s.Status === 'available'),
    );
    const { DBClusterSnapshot: snap } = await east.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'ledger',
        DBClusterSnapshotIdentifier: 'ledger-snap',
      }),
    );
    await eventually(
      () =>
        east.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'ledger-snap' })),
      (r) => r.DBClusterSnapshots?.[0]?.Status === 'available',
    );
    const copy = (n: number) =>
      west.rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: snap?.DBClusterSnapshotArn,
          TargetDBClusterSnapshotIdentifier: `ledger-dr-${n}`,
        }),
      );
    for (let n = 1; n <= 5; n++) {
      const { DBClusterSnapshot: c } = await copy(n);
      expect(c).toMatchObject({ Status: 'pending', SourceDBClusterSnapshotArn: snap?.DBClusterSnapshotArn });
    }
    const sixth = await errorOf(copy(6));
    expect(sixth).toEqual({
      name: 'SnapshotQuotaExceeded',
      message: expect.stringContaining('Cannot copy more than 5 snapshots across regions'),
    });
    await eventually(
      () =>
        west.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'ledger-dr-1' })),
      (r) => r.DBClusterSnapshots?.[0]?.Status === 'available',
    );
    expect(await eventIdsOf(cloud.endpoint, 'ledger-dr-1', ACCOUNT_A, 'us-west-2')).toEqual([]);
  });
});
