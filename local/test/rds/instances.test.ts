import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RebootDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  eventually,
  instanceUntil,
  statuses,
  useHarness,
  type Harness,
} from './harness';

let h: Harness;
useHarness((x) => (h = x));

const describe1 = (id: string): Promise<DBInstance> => describeInstance(h, id);

async function createAvailable(id: string, extra: Record<string, unknown> = {}): Promise<DBInstance> {
  await createInstance(h, id, { MasterUserPassword: 'secret123', ...extra });
  return instanceUntil(h, id, 'available');
}

test('CreateDBInstance: creating -> backing-up -> available with 0005, 0001, 0002 and a realistic endpoint', async () => {
  const r = await h.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'Orders-DB',
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
      MasterUserPassword: 'secret123',
      Tags: [{ Key: 'rewind:allow', Value: 'true' }],
    }),
  );
  expect(r.DBInstance?.DBInstanceIdentifier).toBe('orders-db');
  expect(r.DBInstance?.DBInstanceStatus).toBe('creating');
  expect(r.DBInstance?.Endpoint).toBeUndefined();
  const i = await eventually(
    () => describe1('orders-db'),
    (x) => x.DBInstanceStatus === 'available',
  );
  expect(statuses(h.rds, 'orders-db')).toEqual(['creating', 'backing-up', 'available']);
  expect(i.Endpoint?.Address).toBe(`orders-db.${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`);
  expect(h.rds.endpointHash).toMatch(/^[a-z0-9]{12}$/);
  expect(i.Endpoint?.Port).toBe(5432);
  expect(i.DBInstanceArn).toBe('arn:aws:rds:us-east-1:000000000000:db:orders-db');
  expect(i.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
  expect(i.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('default.postgres16');
  expect(i.OptionGroupMemberships?.[0]?.OptionGroupName).toBe('default:postgres-16');
  expect(i.DBSubnetGroup?.DBSubnetGroupName).toBe('default');
  expect(i.DBSubnetGroup?.Subnets?.length).toBe(3);
  expect(i.VpcSecurityGroups?.[0]?.VpcSecurityGroupId).toMatch(/^sg-/);
  expect(i.TagList).toEqual([{ Key: 'rewind:allow', Value: 'true' }]);
  expect(i.InstanceCreateTime).toBeInstanceOf(Date);
  expect(h.bus.eventIds('orders-db')).toEqual(['RDS-EVENT-0005', 'RDS-EVENT-0001', 'RDS-EVENT-0002']);
  const created = h.bus.entries[0]?.entry;
  expect(h.bus.entries[0]?.bus).toBe('default');
  expect(created?.source).toBe('aws.rds');
  expect(created?.detailType).toBe('RDS DB Instance Event');
  expect(created?.resources).toEqual([i.DBInstanceArn]);
  expect(created?.detail).toEqual({
    EventCategories: ['creation'],
    SourceType: 'DB_INSTANCE',
    SourceArn: i.DBInstanceArn,
    Date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    Message: 'DB instance created',
    SourceIdentifier: 'rds:orders-db',
    EventID: 'RDS-EVENT-0005',
  });
  // An automated snapshot exists after the initial backup.
  const auto = await h.client.send(
    new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'orders-db', SnapshotType: 'automated' }),
  );
  expect(auto.DBSnapshots?.[0]?.DBSnapshotIdentifier).toMatch(/^rds:orders-db-\d{4}-\d\d-\d\d-\d\d-\d\d$/);
});

test('DescribeDBInstances: not found, filters, unknown filter', async () => {
  await expect(
    h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })),
  ).rejects.toMatchObject({
    name: 'DBInstanceNotFoundFault',
    $metadata: { httpStatusCode: 404 },
    message: 'DBInstance nope not found.',
  });
  await createAvailable('pg-1');
  await createAvailable('my-1', { Engine: 'mysql' });
  const byEngine = await h.client.send(
    new DescribeDBInstancesCommand({ Filters: [{ Name: 'engine', Values: ['mysql'] }] }),
  );
  expect(byEngine.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['my-1']);
  const byId = await h.client.send(
    new DescribeDBInstancesCommand({
      Filters: [{ Name: 'db-instance-id', Values: ['arn:aws:rds:us-east-1:000000000000:db:pg-1', 'x'] }],
    }),
  );
  expect(byId.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['pg-1']);
  const all = await h.client.send(new DescribeDBInstancesCommand({}));
  expect(all.DBInstances?.length).toBe(2);
  const mysql = all.DBInstances?.find((i) => i.Engine === 'mysql');
  expect(mysql?.DBParameterGroups?.[0]?.DBParameterGroupName).toBe('default.mysql8.0');
  expect(mysql?.OptionGroupMemberships?.[0]?.OptionGroupName).toBe('default:mysql-8-0');
  await expect(
    h.client.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })),
  ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
});

test('wrong-status and duplicate errors', async () => {
  await h.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'busy',
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
    }),
  );
  await expect(
    h.client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'busy', DBSnapshotIdentifier: 's1' })),
  ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  await expect(
    h.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'busy', DeletionProtection: true })),
  ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  await expect(
    h.client.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'busy' })),
  ).rejects.toMatchObject({
    name: 'InvalidDBInstanceStateFault',
  });
  await expect(
    h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'busy',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'admin',
      }),
    ),
  ).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
  await expect(
    h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'bad--name',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'admin',
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  await expect(
    h.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'pg-x',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'admin',
        DBParameterGroupName: 'missing-pg',
      }),
    ),
  ).rejects.toMatchObject({ name: 'DBParameterGroupNotFoundFault' });
});

test('ModifyDBInstance applies the post-restore settings and shows them in describe', async () => {
  await createAvailable('mod-1');
  const r = await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'mod-1',
      ApplyImmediately: true,
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
      EnablePerformanceInsights: true,
      PerformanceInsightsRetentionPeriod: 31,
      PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:000000000000:key/pi',
      PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
      MaxAllocatedStorage: 200,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      DBParameterGroupName: 'default.postgres16',
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
      DBInstanceClass: 'db.r6g.large',
    }),
  );
  expect(r.DBInstance?.DBInstanceStatus).toBe('modifying');
  expect(r.DBInstance?.PendingModifiedValues?.DBInstanceClass).toBe('db.r6g.large');
  const i = await eventually(
    () => describe1('mod-1'),
    (x) => x.DBInstanceStatus === 'available',
  );
  expect(i).toMatchObject({
    MonitoringInterval: 60,
    MonitoringRoleArn: 'arn:aws:iam::000000000000:role/rds-monitoring',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 31,
    PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:000000000000:key/pi',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    MaxAllocatedStorage: 200,
    DeletionProtection: true,
    BackupRetentionPeriod: 7,
    CACertificateIdentifier: 'rds-ca-ecc384-g1',
    DBInstanceClass: 'db.r6g.large',
  });
  expect(i.PendingModifiedValues).toEqual({});
  expect(statuses(h.rds, 'mod-1').slice(-2)).toEqual(['modifying', 'available']);
  // Monitoring needs a role.
  await expect(
    h.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'mod-1', MonitoringInterval: 7 })),
  ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
});

test('RebootDBInstance: rebooting with 0004 / 0006', async () => {
  await createAvailable('rb-1');
  const r = await h.client.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'rb-1' }));
  expect(r.DBInstance?.DBInstanceStatus).toBe('rebooting');
  await eventually(
    () => describe1('rb-1'),
    (x) => x.DBInstanceStatus === 'available',
  );
  expect(h.bus.eventIds('rb-1').slice(-2)).toEqual(['RDS-EVENT-0004', 'RDS-EVENT-0006']);
});

test('DeleteDBInstance: protection, final snapshot rules, deleting then gone with 0003', async () => {
  await createAvailable('del-1', { DeletionProtection: true });
  await expect(
    h.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'del-1', SkipFinalSnapshot: true })),
  ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'del-1',
      DeletionProtection: false,
      ApplyImmediately: true,
    }),
  );
  await eventually(
    () => describe1('del-1'),
    (x) => x.DBInstanceStatus === 'available' && x.DeletionProtection === false,
  );
  await expect(
    h.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'del-1' })),
  ).rejects.toMatchObject({
    name: 'InvalidParameterCombination',
  });
  const r = await h.client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'del-1', FinalDBSnapshotIdentifier: 'del-1-final' }),
  );
  expect(r.DBInstance?.DBInstanceStatus).toBe('deleting');
  await expect(
    h.client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'del-1', SkipFinalSnapshot: true })),
  ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  await eventually(
    () => h.client.send(new DescribeDBInstancesCommand({})),
    (x) => (x.DBInstances ?? []).length === 0,
  );
  await expect(describe1('del-1')).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
  const final = await h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'del-1-final' }));
  expect(final.DBSnapshots?.[0]).toMatchObject({
    Status: 'available',
    SnapshotType: 'manual',
    DBInstanceIdentifier: 'del-1',
  });
  // Automated backups are removed by default.
  const auto = await h.client.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'automated' }));
  expect(auto.DBSnapshots).toEqual([]);
  expect(h.bus.eventIds('del-1').slice(-1)).toEqual(['RDS-EVENT-0003']);
  expect(h.bus.eventIds('del-1-final')).toEqual(['RDS-EVENT-0040', 'RDS-EVENT-0042']);
  expect(statuses(h.rds, 'del-1').slice(-2)).toEqual(['deleting', 'deleted']);
});
