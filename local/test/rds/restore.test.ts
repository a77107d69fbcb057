import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSnapshotCommand,
  CreateDBSubnetGroupCommand,
  CreateOptionGroupCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { eventually, startHarness, statuses, type Harness, type HarnessOptions } from './harness';

let h: Harness;
async function start(opts: HarnessOptions = {}): Promise<void> {
  h = await startHarness(opts);
}
afterEach(async () => {
  await h.close();
});

const describe1 = async (id: string): Promise<DBInstance> =>
  (await h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
    .DBInstances?.[0] as DBInstance;
const until = (id: string, status: string): Promise<DBInstance> =>
  eventually(
    () => describe1(id),
    (i) => i.DBInstanceStatus === status,
  );

async function instanceWithSnapshot(
  id: string,
  snap: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await h.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'mysql',
      EngineVersion: '8.0.39',
      DBInstanceClass: 'db.m6g.large',
      AllocatedStorage: 100,
      StorageType: 'gp3',
      Iops: 3000,
      StorageThroughput: 125,
      MasterUsername: 'admin',
      Port: 3307,
      ...extra,
    }),
  );
  await until(id, 'available');
  await h.client.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: snap }));
  await eventually(
    () => h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snap })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  await until(id, 'available');
}

test('rename: old name gone at once, renaming -> (available) -> rebooting -> available, 0004/0006, no rename event', async () => {
  await start();
  await instanceWithSnapshot('orders', 'orders-snap');
  const before = await describe1('orders');
  const eventsBefore = h.bus.entries.length;
  const r = await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'orders',
      NewDBInstanceIdentifier: 'orders-old',
      ApplyImmediately: true,
    }),
  );
  expect(r.DBInstance?.DBInstanceIdentifier).toBe('orders-old');
  expect(r.DBInstance?.DBInstanceStatus).toBe('renaming');
  await expect(describe1('orders')).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
  const after = await until('orders-old', 'available');
  await eventually(
    () => statuses(h.rds, 'orders-old'),
    (s) => s[s.length - 1] === 'available' && s.includes('rebooting'),
  );
  const seq = statuses(h.rds, 'orders-old');
  expect(seq.slice(seq.indexOf('renaming'))).toEqual(['renaming', 'available', 'rebooting', 'available']);
  expect(after.DbiResourceId).toBe(before.DbiResourceId);
  expect(after.Endpoint?.Address).toBe(`orders-old.${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`);
  expect(after.DBInstanceArn).toBe('arn:aws:rds:us-east-1:000000000000:db:orders-old');
  const ids = h.bus.entries.slice(eventsBefore).map((e) => e.entry.detail['EventID']);
  expect(ids).toEqual(['RDS-EVENT-0004', 'RDS-EVENT-0006']);
  expect(
    h.bus.entries
      .slice(eventsBefore)
      .every((e) => !String(e.entry.detail['Message']).toLowerCase().includes('renam')),
  ).toBe(true);
  // Renaming to a taken name fails.
  await h.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'other',
      Engine: 'mysql',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'a',
    }),
  );
  await expect(
    h.client.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'orders-old',
        NewDBInstanceIdentifier: 'other',
        ApplyImmediately: true,
      }),
    ),
  ).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
});

test('restore without parameters: RDS defaults, storage from the snapshot, no tags; creating -> backing-up -> available', async () => {
  await start();
  await instanceWithSnapshot('src', 'src-snap', {
    MultiAZ: true,
    DeletionProtection: true,
    Tags: [{ Key: 'team', Value: 'a' }],
    EnableIAMDatabaseAuthentication: true,
  });
  const r = await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'copy',
      DBSnapshotIdentifier: 'src-snap',
    }),
  );
  expect(r.DBInstance?.DBInstanceStatus).toBe('creating');
  const i = await until('copy', 'available');
  expect(i).toMatchObject({
    Engine: 'mysql',
    EngineVersion: '8.0.39',
    DBInstanceClass: 'db.m6g.large',
    AllocatedStorage: 100,
    StorageType: 'gp3',
    Iops: 3000,
    StorageThroughput: 125,
    Endpoint: { Port: 3307 },
    MultiAZ: false,
    DeletionProtection: false,
    PubliclyAccessible: false,
    IAMDatabaseAuthenticationEnabled: false,
    CopyTagsToSnapshot: false,
    MonitoringInterval: 0,
    PerformanceInsightsEnabled: false,
    TagList: [],
  });
  expect(i.DBParameterGroups).toEqual([
    { DBParameterGroupName: 'default.mysql8.0', ParameterApplyStatus: 'in-sync' },
  ]);
  expect(i.OptionGroupMemberships).toEqual([{ OptionGroupName: 'default:mysql-8-0', Status: 'in-sync' }]);
  expect(i.DBSubnetGroup?.DBSubnetGroupName).toBe('default');
  expect(i.VpcSecurityGroups?.length).toBe(1);
  expect(i.MaxAllocatedStorage).toBeUndefined();
  expect(statuses(h.rds, 'copy')).toEqual(['creating', 'backing-up', 'available']);
  expect(h.bus.eventIds('copy')).toEqual([
    'RDS-EVENT-0005',
    'RDS-EVENT-0043',
    'RDS-EVENT-0001',
    'RDS-EVENT-0002',
  ]);
  const restored = h.bus.entries.find((e) => e.entry.detail['EventID'] === 'RDS-EVENT-0043')?.entry;
  expect(restored?.detailType).toBe('RDS DB Instance Event');
  expect(restored?.detail['Message']).toBe('Restored from snapshot src-snap');
});

test('restore with the full configuration shows every parameter in describe', async () => {
  await start();
  await instanceWithSnapshot('src', 'src-snap');
  await h.client.send(
    new CreateDBParameterGroupCommand({
      DBParameterGroupName: 'orders-pg',
      DBParameterGroupFamily: 'mysql8.0',
      Description: 'x',
    }),
  );
  await h.client.send(
    new CreateOptionGroupCommand({
      OptionGroupName: 'orders-og',
      EngineName: 'mysql',
      MajorEngineVersion: '8.0',
      OptionGroupDescription: 'x',
    }),
  );
  await h.client.send(
    new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: 'orders-subnets',
      DBSubnetGroupDescription: 'x',
      SubnetIds: ['subnet-0a1', 'subnet-0b2'],
    }),
  );
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'full',
      DBSnapshotIdentifier: 'arn:aws:rds:us-east-1:000000000000:snapshot:src-snap',
      DBInstanceClass: 'db.r6g.xlarge',
      Port: 3310,
      AvailabilityZone: 'us-east-1b',
      MultiAZ: false,
      PubliclyAccessible: true,
      DBSubnetGroupName: 'orders-subnets',
      VpcSecurityGroupIds: ['sg-0123', 'sg-0456'],
      DBParameterGroupName: 'orders-pg',
      OptionGroupName: 'orders-og',
      StorageType: 'io1',
      Iops: 5000,
      AllocatedStorage: 200,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['error', 'slowquery'],
      DeletionProtection: true,
      CopyTagsToSnapshot: true,
      Tags: [{ Key: 'rewind:allow', Value: 'true' }],
      BackupRetentionPeriod: 0,
      PreferredBackupWindow: '04:00-04:30',
      AutoMinorVersionUpgrade: false,
      CACertificateIdentifier: 'rds-ca-rsa4096-g1',
      NetworkType: 'DUAL',
      LicenseModel: 'general-public-license',
      ProcessorFeatures: [{ Name: 'coreCount', Value: '2' }],
      Domain: 'd-1234567890',
      DomainIAMRoleName: 'rds-directory',
    }),
  );
  const i = await until('full', 'available');
  expect(i).toMatchObject({
    DBInstanceClass: 'db.r6g.xlarge',
    Endpoint: { Port: 3310, Address: `full.${h.rds.endpointHash}.us-east-1.rds.amazonaws.com` },
    AvailabilityZone: 'us-east-1b',
    MultiAZ: false,
    PubliclyAccessible: true,
    DBSubnetGroup: { DBSubnetGroupName: 'orders-subnets' },
    VpcSecurityGroups: [
      { VpcSecurityGroupId: 'sg-0123', Status: 'active' },
      { VpcSecurityGroupId: 'sg-0456', Status: 'active' },
    ],
    DBParameterGroups: [{ DBParameterGroupName: 'orders-pg', ParameterApplyStatus: 'in-sync' }],
    OptionGroupMemberships: [{ OptionGroupName: 'orders-og', Status: 'in-sync' }],
    StorageType: 'io1',
    Iops: 5000,
    AllocatedStorage: 200,
    IAMDatabaseAuthenticationEnabled: true,
    EnabledCloudwatchLogsExports: ['error', 'slowquery'],
    DeletionProtection: true,
    CopyTagsToSnapshot: true,
    TagList: [{ Key: 'rewind:allow', Value: 'true' }],
    BackupRetentionPeriod: 0,
    PreferredBackupWindow: '04:00-04:30',
    AutoMinorVersionUpgrade: false,
    CACertificateIdentifier: 'rds-ca-rsa4096-g1',
    NetworkType: 'DUAL',
    LicenseModel: 'general-public-license',
    ProcessorFeatures: [{ Name: 'coreCount', Value: '2' }],
    DomainMemberships: [{ Domain: 'd-1234567890', IAMRoleName: 'rds-directory', Status: 'joined' }],
  });
  // No backups: no baseline backup.
  expect(statuses(h.rds, 'full')).toEqual(['creating', 'available']);
  // Unknown groups are refused.
  await expect(
    h.client.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'x1',
        DBSnapshotIdentifier: 'src-snap',
        OptionGroupName: 'nope',
      }),
    ),
  ).rejects.toMatchObject({ name: 'OptionGroupNotFoundFault' });
  await expect(
    h.client.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'x2',
        DBSnapshotIdentifier: 'missing',
      }),
    ),
  ).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  await expect(
    h.client.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'full',
        DBSnapshotIdentifier: 'src-snap',
      }),
    ),
  ).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
});

test('restore event quirks: snapshot-side 0043, legacy 0008, both, and no rds: prefix', async () => {
  await start({
    quirks: { restoreEventSource: 'both', restoreEventId: '0008', sourceIdentifierPrefix: 'none' },
  });
  await instanceWithSnapshot('src', 'src-snap');
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'r1',
      DBSnapshotIdentifier: 'src-snap',
    }),
  );
  await until('r1', 'available');
  const restoreEvents = h.bus.entries
    .filter((e) => e.entry.detail['EventID'] === 'RDS-EVENT-0008')
    .map((e) => e.entry);
  expect(restoreEvents.map((e) => e.detailType).sort()).toEqual([
    'RDS DB Instance Event',
    'RDS DB Snapshot Event',
  ]);
  expect(restoreEvents.map((e) => e.detail['SourceIdentifier']).sort()).toEqual(['r1', 'src-snap']);
  h.rds.configure({ quirks: { restoreEventSource: 'snapshot', restoreEventId: '0043' } });
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'r2',
      DBSnapshotIdentifier: 'src-snap',
    }),
  );
  await until('r2', 'available');
  const snapSide = h.bus.entries.filter((e) => e.entry.detail['EventID'] === 'RDS-EVENT-0043');
  expect(snapSide.map((e) => [e.entry.detailType, e.entry.detail['SourceType']])).toEqual([
    ['RDS DB Snapshot Event', 'SNAPSHOT'],
  ]);
});

test('rename then restore under the old name keeps the endpoint address; availability timeline shows the gap', async () => {
  await start();
  await instanceWithSnapshot('orders', 'orders-snap');
  const original = await describe1('orders');
  const address = original.Endpoint?.Address as string;
  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'orders',
      NewDBInstanceIdentifier: 'orders-old',
      ApplyImmediately: true,
    }),
  );
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'orders',
      DBSnapshotIdentifier: 'orders-snap',
    }),
  );
  const restored = await until('orders', 'available');
  expect(restored.Endpoint?.Address).toBe(address);
  expect(restored.DbiResourceId).not.toBe(original.DbiResourceId);
  await until('orders-old', 'available');
  await h.client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-old', SkipFinalSnapshot: true }),
  );
  await eventually(
    () => h.client.send(new DescribeDBInstancesCommand({})),
    (r) => r.DBInstances?.length === 1,
  );
  const [timeline] = h.rds.availabilityTimeline(address);
  expect(timeline?.kind).toBe('instance');
  const intervals = timeline?.intervals ?? [];
  expect(intervals.length).toBeGreaterThanOrEqual(2);
  const first = intervals[0];
  const last = intervals[intervals.length - 1];
  expect(first?.to).toBeDefined();
  expect(last?.to).toBeUndefined();
  // Downtime = the gap between the original going away and the restored one answering.
  expect(Date.parse(last?.from as string)).toBeGreaterThan(Date.parse(first?.to as string));
  const oldTimeline = h.rds.availabilityTimeline(
    `orders-old.${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`,
  )[0];
  expect(oldTimeline?.intervals.every((x) => x.to !== undefined)).toBe(true);
});

test('RestoreDBInstanceToPointInTime: 0019 and 0005, validation', async () => {
  await start();
  await instanceWithSnapshot('pitr-src', 'pitr-snap');
  await expect(
    h.client.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: 'pitr-src',
        TargetDBInstanceIdentifier: 'pitr-1',
        UseLatestRestorableTime: true,
        RestoreTime: new Date(),
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  await h.client.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDBInstanceIdentifier: 'pitr-src',
      TargetDBInstanceIdentifier: 'pitr-1',
      UseLatestRestorableTime: true,
      DeletionProtection: true,
    }),
  );
  const i = await until('pitr-1', 'available');
  expect(i.DeletionProtection).toBe(true);
  expect(i.AllocatedStorage).toBe(100);
  expect(h.bus.eventIds('pitr-1').slice(0, 2)).toEqual(['RDS-EVENT-0005', 'RDS-EVENT-0019']);
});

test('point in time: DescribeDBInstanceAutomatedBackups gives the window; a time outside it is InvalidRestoreFault; the source tags by default', async () => {
  await start();
  await instanceWithSnapshot('win-src', 'win-snap', {
    BackupRetentionPeriod: 7,
    Tags: [{ Key: 'team', Value: 'ops' }],
  });
  const src = await describe1('win-src');
  const backups = await eventually(
    () => h.client.send(new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: src.DbiResourceId })),
    (r) =>
      (r.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.LatestTime?.getTime() ?? 0) >
      src.InstanceCreateTime!.getTime(),
  );
  const backup = backups.DBInstanceAutomatedBackups![0]!;
  expect([backup.DBInstanceIdentifier, backup.Status, backup.RestoreWindow?.EarliestTime]).toEqual([
    'win-src',
    'active',
    src.InstanceCreateTime,
  ]);
  expect((await describe1('win-src')).LatestRestorableTime!.getTime()).toBeGreaterThanOrEqual(
    backup.RestoreWindow!.LatestTime!.getTime(),
  );
  await expect(
    h.client.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDbiResourceId: src.DbiResourceId,
        TargetDBInstanceIdentifier: 'win-early',
        RestoreTime: new Date(src.InstanceCreateTime!.getTime() - 1000),
      }),
    ),
  ).rejects.toMatchObject({
    name: 'InvalidRestoreFault',
    message: expect.stringContaining(`restorable window ${src.InstanceCreateTime!.toISOString()} to `),
  });
  await h.client.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDbiResourceId: src.DbiResourceId,
      TargetDBInstanceIdentifier: 'win-copy',
      RestoreTime: backup.RestoreWindow!.LatestTime,
    }),
  );
  const copy = await until('win-copy', 'available');
  expect([copy.TagList, copy.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId)]).toEqual([
    [{ Key: 'team', Value: 'ops' }],
    ['sg-0defa017000000000'],
  ]);
  await expect(
    h.client.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'nothing-here' })),
  ).rejects.toMatchObject({ name: 'DBInstanceAutomatedBackupNotFoundFault' });
});
