import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { eventually, startHarness, statuses, type Harness } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'db1',
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 50,
      MasterUsername: 'admin',
      CopyTagsToSnapshot: true,
      Tags: [{ Key: 'team', Value: 'orders' }],
    }),
  );
  await eventually(
    () => h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'db1' })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
});
afterEach(async () => {
  await h.close();
});

const snap = async (id: string): Promise<DBSnapshot> =>
  (await h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })))
    .DBSnapshots?.[0] as DBSnapshot;

test('CreateDBSnapshot: creating with PercentProgress -> available, 0040 / 0042 as snapshot events; instance backing-up meanwhile', async () => {
  const r = await h.client.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: 'db1',
      DBSnapshotIdentifier: 'snap-1',
      Tags: [{ Key: 'k', Value: 'v' }],
    }),
  );
  expect(r.DBSnapshot).toMatchObject({
    Status: 'creating',
    PercentProgress: 0,
    SnapshotType: 'manual',
    DBInstanceIdentifier: 'db1',
  });
  const inst = await h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'db1' }));
  expect(inst.DBInstances?.[0]?.DBInstanceStatus).toBe('backing-up');
  const mid = await eventually(
    () => snap('snap-1'),
    (s) => (s.PercentProgress ?? 0) > 0,
  );
  expect(mid.Status === 'creating' || mid.PercentProgress === 100).toBe(true);
  const done = await eventually(
    () => snap('snap-1'),
    (s) => s.Status === 'available',
  );
  expect(done).toMatchObject({
    PercentProgress: 100,
    Engine: 'postgres',
    AllocatedStorage: 50,
    DBSnapshotArn: 'arn:aws:rds:us-east-1:000000000000:snapshot:snap-1',
    Port: 5432,
  });
  expect(done.TagList).toEqual([
    { Key: 'team', Value: 'orders' },
    { Key: 'k', Value: 'v' },
  ]);
  expect(done.SnapshotCreateTime).toBeInstanceOf(Date);
  const events = h.bus.entries
    .filter((e) => e.entry.detailType === 'RDS DB Snapshot Event')
    .map((e) => e.entry);
  expect(events.map((e) => e.detail['EventID'])).toEqual(['RDS-EVENT-0040', 'RDS-EVENT-0042']);
  expect(events[1]?.detail).toMatchObject({
    SourceType: 'SNAPSHOT',
    SourceArn: 'arn:aws:rds:us-east-1:000000000000:snapshot:snap-1',
    Message: 'Manual snapshot created',
    EventCategories: ['creation'],
  });
  await eventually(
    () => h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'db1' })),
    (x) => x.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
  expect(statuses(h.rds, 'snap-1')).toEqual(['creating', 'available']);
  await expect(
    h.client.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db1', DBSnapshotIdentifier: 'snap-1' }),
    ),
  ).rejects.toMatchObject({ name: 'DBSnapshotAlreadyExistsFault' });
  await expect(
    h.client.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'nope', DBSnapshotIdentifier: 'snap-2' }),
    ),
  ).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
});

test('DescribeDBSnapshots by instance, type and filters; not found', async () => {
  await h.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db1', DBSnapshotIdentifier: 'm1' }),
  );
  await eventually(
    () => snap('m1'),
    (s) => s.Status === 'available',
  );
  const byInstance = await h.client.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'db1' }));
  expect(byInstance.DBSnapshots?.map((s) => s.SnapshotType).sort()).toEqual(['automated', 'manual']);
  const manual = await h.client.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
  expect(manual.DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual(['m1']);
  const filtered = await h.client.send(
    new DescribeDBSnapshotsCommand({
      Filters: [
        { Name: 'db-instance-id', Values: ['db1'] },
        { Name: 'snapshot-type', Values: ['automated'] },
      ],
    }),
  );
  expect(filtered.DBSnapshots?.[0]?.DBSnapshotIdentifier).toMatch(/^rds:db1-/);
  await expect(snap('missing')).rejects.toMatchObject({
    name: 'DBSnapshotNotFoundFault',
    $metadata: { httpStatusCode: 404 },
  });
});

test('CopyDBSnapshot and DeleteDBSnapshot (0196/0197, 0041; automated snapshots cannot be deleted)', async () => {
  await h.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'db1', DBSnapshotIdentifier: 'orig' }),
  );
  await expect(
    h.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'orig' })),
  ).rejects.toMatchObject({
    name: 'InvalidDBSnapshotStateFault',
  });
  await eventually(
    () => snap('orig'),
    (s) => s.Status === 'available',
  );
  const c = await h.client.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: 'orig',
      TargetDBSnapshotIdentifier: 'copy',
      CopyTags: true,
    }),
  );
  expect(c.DBSnapshot?.Status).toBe('creating');
  const copy = await eventually(
    () => snap('copy'),
    (s) => s.Status === 'available',
  );
  expect(copy.SourceDBSnapshotIdentifier).toBe('arn:aws:rds:us-east-1:000000000000:snapshot:orig');
  expect(copy.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
  expect(h.bus.eventIds('copy')).toEqual(['RDS-EVENT-0196', 'RDS-EVENT-0197']);
  const d = await h.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'copy' }));
  expect(d.DBSnapshot?.Status).toBe('deleting');
  await eventually(
    () =>
      snap('copy').then(
        () => 'exists',
        (e: Error) => e.name,
      ),
    (v) => v === 'DBSnapshotNotFoundFault',
  );
  expect(h.bus.eventIds('copy').slice(-1)).toEqual(['RDS-EVENT-0041']);
  const auto = (await h.client.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'automated' })))
    .DBSnapshots?.[0];
  await expect(
    h.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: auto?.DBSnapshotIdentifier })),
  ).rejects.toMatchObject({ name: 'InvalidDBSnapshotStateFault' });
});
