/**
 * What a snapshot lifecycle meets on the local cloud, through the edge with the real SDK: the manual
 * snapshot quota, daily automated backups as the cloud clock passes (kept for their retention period),
 * and exports to S3 (fauxqs) with their checks, limits, events and objects.
 */
import {
  CancelExportTaskCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeAccountAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  StartExportTaskCommand,
  type StartExportTaskCommandInput,
} from '@aws-sdk/client-rds';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { LocalCloud } from '../../src';
import { adminGet, clientsFor, errorOf, eventually, spawnRdsCloud, type Clients } from '../regions/places';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const DAY = 86_400_000;

let cloud: LocalCloud;
let east: Clients;
let s3: S3Client;

beforeAll(async () => {
  cloud = await spawnRdsCloud();
  east = clientsFor(cloud.endpoint, 'test', REGION);
  s3 = new S3Client({
    endpoint: cloud.endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  east?.destroy();
  s3?.destroy();
  await cloud?.stop();
});

const rdsConfig = (config: unknown) => cloud.admin.post('rds/config', config);

async function instance(id: string, extra: Record<string, unknown> = {}): Promise<void> {
  await east.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      DBName: 'orders',
      ...extra,
    }),
  );
  await eventually(
    () => east.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
}

async function cluster(id: string, retention: number): Promise<void> {
  await east.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      BackupRetentionPeriod: retention,
      PreferredBackupWindow: '04:00-04:30',
    }),
  );
  await eventually(
    () => east.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
    (r) => r.DBClusters?.[0]?.Status === 'available',
  );
}

async function snapshot(db: string, id: string): Promise<string> {
  await east.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: id }));
  const r = await eventually(
    () => east.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })),
    (x) => x.DBSnapshots?.[0]?.Status === 'available',
  );
  return r.DBSnapshots?.[0]?.DBSnapshotArn as string;
}

it('refuses a manual snapshot beyond the quota, counting manual ones only, whatever their status', async () => {
  await rdsConfig({ behaviour: { manualSnapshotQuota: 3 } });
  try {
    // Multi-AZ: no `backing-up` while a snapshot is taken, so the calls follow each other at once.
    await instance('quota-db', { BackupRetentionPeriod: 1, MultiAZ: true });
    for (const n of [1, 2, 3]) {
      await east.rds.send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'quota-db', DBSnapshotIdentifier: `quota-${n}` }),
      );
    }
    // The automated backup taken at creation does not count.
    const all = await east.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'quota-db' }));
    expect(all.DBSnapshots?.map((x) => x.SnapshotType).sort()).toEqual([
      'automated',
      'manual',
      'manual',
      'manual',
    ]);

    expect(
      await errorOf(
        east.rds.send(
          new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'quota-db', DBSnapshotIdentifier: 'quota-4' }),
        ),
      ),
    ).toEqual({ name: 'SnapshotQuotaExceeded', message: 'Cannot create more than 3 manual snapshots' });
    // What a tool checks before taking one: DescribeAccountAttributes gives the quota and its usage.
    const { AccountQuotas } = await east.rds.send(new DescribeAccountAttributesCommand({}));
    expect(AccountQuotas).toEqual([
      { AccountQuotaName: 'ManualSnapshots', Used: 3, Max: 3 },
      { AccountQuotaName: 'ManualClusterSnapshots', Used: 0, Max: 100 },
    ]);
    await eventually(
      () => east.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'quota-1' })),
      (x) => x.DBSnapshots?.[0]?.Status === 'available',
    );
    expect(
      await errorOf(
        east.rds.send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: 'quota-1',
            TargetDBSnapshotIdentifier: 'quota-copy',
          }),
        ),
      ),
    ).toMatchObject({ name: 'SnapshotQuotaExceeded' });

    await east.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'quota-1' }));
    await eventually(
      () =>
        east.rds.send(
          new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'quota-db', SnapshotType: 'manual' }),
        ),
      (x) => x.DBSnapshots?.length === 2,
    );
    await east.rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'quota-db', DBSnapshotIdentifier: 'quota-4' }),
    );
  } finally {
    await rdsConfig({ behaviour: { manualSnapshotQuota: 100 } });
  }
});

it('takes automated snapshots daily in the backup window as the clock passes, and keeps them for the retention period', async () => {
  await instance('daily-db', { BackupRetentionPeriod: 2, PreferredBackupWindow: '03:00-03:30' });
  await cluster('daily-cluster', 1);
  await snapshot('daily-db', 'daily-db-by-hand');
  const start = Date.parse((await cloud.admin.clock()).now);

  await cloud.admin.advanceClock({ seconds: 4 * 86_400 });

  const now = Date.parse((await cloud.admin.clock()).now);
  const automated = (
    await east.rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'daily-db', SnapshotType: 'automated' }),
    )
  ).DBSnapshots!;
  // Four windows passed; the two of the last two days are kept, older ones (and the creation backup) are gone.
  expect(automated).toHaveLength(2);
  for (const snap of automated) {
    expect(snap.DBSnapshotIdentifier).toMatch(/^rds:daily-db-\d{4}-\d{2}-\d{2}-03-00$/);
    expect(snap.Status).toBe('available');
    const age = now - snap.SnapshotCreateTime!.getTime();
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(2 * DAY);
    expect(snap.SnapshotCreateTime!.getTime()).toBeGreaterThan(start);
  }
  const manual = await east.rds.send(
    new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'daily-db', SnapshotType: 'manual' }),
  );
  expect(manual.DBSnapshots?.map((x) => x.DBSnapshotIdentifier)).toEqual(['daily-db-by-hand']);
  expect(
    await errorOf(
      east.rds.send(
        new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: automated[0]!.DBSnapshotIdentifier }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidDBSnapshotState' });

  const clusterAutomated = (
    await east.rds.send(
      new DescribeDBClusterSnapshotsCommand({
        DBClusterIdentifier: 'daily-cluster',
        SnapshotType: 'automated',
      }),
    )
  ).DBClusterSnapshots!;
  expect(clusterAutomated.map((x) => x.DBClusterSnapshotIdentifier)).toEqual([
    expect.stringMatching(/^rds:daily-cluster-\d{4}-\d{2}-\d{2}-04-00$/),
  ]);
});

it('exports snapshots to S3 with the checks, the limit of 5 per account, cancellation, failures, events and objects', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'exports' }));
  const west = new S3Client({
    endpoint: cloud.endpoint,
    region: 'us-west-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await west.send(
    new CreateBucketCommand({
      Bucket: 'exports-west',
      CreateBucketConfiguration: { LocationConstraint: 'us-west-2' },
    }),
  );
  west.destroy();
  const { KeyMetadata } = await east.kms.send(new CreateKeyCommand({ Description: 'exports' }));
  const bucketPolicy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:PutObject*', 's3:GetObject*', 's3:DeleteObject*'],
        Resource: 'arn:aws:s3:::exports/*',
      },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation'],
        Resource: 'arn:aws:s3:::exports',
      },
    ],
  };
  const { arn: roleArn } = await cloud.admin.post<{ arn: string }>('iam/roles', {
    name: 'rds-export',
    policies: [bucketPolicy],
  });
  const { arn: weakRole } = await cloud.admin.post<{ arn: string }>('iam/roles', {
    name: 'rds-export-weak',
    policies: [
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] },
    ],
  });
  await instance('export-db');
  const snaps = [];
  for (const n of [1, 2, 3, 4]) snaps.push(await snapshot('export-db', `export-${n}`));
  await cluster('export-cluster', 1);
  await east.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: 'export-cluster',
      DBClusterSnapshotIdentifier: 'export-c',
    }),
  );
  const clusterSnap = await eventually(
    () => east.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'export-c' })),
    (x) => x.DBClusterSnapshots?.[0]?.Status === 'available',
  );
  snaps.push(clusterSnap.DBClusterSnapshots![0]!.DBClusterSnapshotArn!);
  const sixth = await snapshot('export-db', 'export-6');
  // Real durations from here: the exports stay in progress until the clock is advanced.
  await rdsConfig({ timeScale: 1 });
  await cloud.admin.post('rds/faults', {
    operations: [{ operation: 'export', identifier: 'e-3', outcome: 'failed' }],
  });
  const start = (id: string, source: string, over: Partial<StartExportTaskCommandInput> = {}) =>
    east.rds.send(
      new StartExportTaskCommand({
        ExportTaskIdentifier: id,
        SourceArn: source,
        S3BucketName: 'exports',
        S3Prefix: 'rewind',
        IamRoleArn: roleArn,
        KmsKeyId: KeyMetadata!.Arn,
        ...over,
      }),
    );

  try {
    expect(
      await errorOf(start('e-0', snaps[0]!, { IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` })),
    ).toMatchObject({ name: 'IamRoleNotFound' });
    expect(await errorOf(start('e-0', snaps[0]!, { IamRoleArn: weakRole }))).toMatchObject({
      name: 'IamRoleMissingPermissions',
      message: expect.stringMatching(
        /not authorized to perform: s3:PutObject on resource: arn:aws:s3:::exports\/rewind\/\*/,
      ),
    });
    expect(await errorOf(start('e-0', snaps[0]!, { S3BucketName: 'exports-west' }))).toMatchObject({
      name: 'InvalidS3BucketFault',
      message: expect.stringMatching(/isn't located in the current AWS Region/),
    });
    expect(await errorOf(start('e-0', snaps[0]!, { KmsKeyId: 'alias/missing' }))).toMatchObject({
      name: 'KMSKeyNotAccessibleFault',
    });

    const first = await start('e-1', snaps[0]!);
    expect(first).toMatchObject({ ExportTaskIdentifier: 'e-1', Status: 'STARTING', SourceType: 'SNAPSHOT' });
    expect(await errorOf(start('e-1', snaps[1]!))).toMatchObject({ name: 'ExportTaskAlreadyExists' });
    expect(await errorOf(start('e-1b', snaps[0]!))).toMatchObject({ name: 'InvalidExportSourceState' });
    for (const [i, source] of snaps.slice(1).entries()) await start(`e-${i + 2}`, source);
    expect(await errorOf(start('e-6', sixth))).toMatchObject({
      name: 'ExportTaskLimitReached',
      message: expect.stringMatching(/up to 5 export tasks in progress/),
    });
    const canceling = await east.rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: 'e-2' }));
    expect(canceling.Status).toBe('CANCELING');

    await cloud.admin.advanceClock({ seconds: 20 * 60 });

    const tasks = (await east.rds.send(new DescribeExportTasksCommand({}))).ExportTasks!;
    expect(Object.fromEntries(tasks.map((t) => [t.ExportTaskIdentifier, t.Status]))).toEqual({
      'e-1': 'COMPLETE',
      'e-2': 'CANCELED',
      'e-3': 'FAILED',
      'e-4': 'COMPLETE',
      'e-5': 'COMPLETE',
    });
    expect(tasks.find((t) => t.ExportTaskIdentifier === 'e-3')?.FailureCause).toMatch(/injected fault/);
    expect(tasks.find((t) => t.ExportTaskIdentifier === 'e-5')?.SourceType).toBe('CLUSTER');
    const complete = await east.rds.send(
      new DescribeExportTasksCommand({ Filters: [{ Name: 'status', Values: ['complete'] }] }),
    );
    expect(complete.ExportTasks?.map((t) => t.ExportTaskIdentifier)).toEqual(['e-1', 'e-4', 'e-5']);
    expect(
      await errorOf(east.rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: 'e-1' }))),
    ).toMatchObject({
      name: 'InvalidExportTaskStateFault',
    });

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'rewind/e-1/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([
      'rewind/e-1/export_info_e-1.json',
      'rewind/e-1/export_tables_info_e-1_from_1_to_1.json',
      'rewind/e-1/orders/orders.public.sample/1/part-00000-e-1.gz.parquet',
    ]);
    const info = await s3.send(
      new GetObjectCommand({ Bucket: 'exports', Key: 'rewind/e-1/export_info_e-1.json' }),
    );
    expect(JSON.parse(await info.Body!.transformToString())).toMatchObject({
      exportTaskIdentifier: 'e-1',
      sourceArn: snaps[0],
      status: 'COMPLETE',
    });
    expect(
      (await s3.send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'rewind/e-3/' }))).KeyCount,
    ).toBe(0);

    const events = await adminGet<{ sourceIdentifier: string; eventId: string }[]>(
      cloud.endpoint,
      `rds/events?account=${ACCOUNT}&region=${REGION}`,
    );
    const exportEvents = events.filter((e) => /^RDS-EVENT-01(59|6[0-4])$/.test(e.eventId));
    expect(exportEvents.map((e) => [e.sourceIdentifier, e.eventId]).sort()).toEqual([
      ['export-1', 'RDS-EVENT-0161'],
      ['export-2', 'RDS-EVENT-0160'],
      ['export-3', 'RDS-EVENT-0159'],
      ['export-4', 'RDS-EVENT-0161'],
      ['export-c', 'RDS-EVENT-0164'],
    ]);
    // A slot is free again.
    expect((await start('e-6', sixth)).Status).toBe('STARTING');
  } finally {
    await rdsConfig({ timeScale: 0.0005 });
    await cloud.admin.post('rds/faults/clear');
  }
});

it('lets 20 DB snapshot copies be in progress to a region at once, refusing the 21st until one ends', async () => {
  const west = clientsFor(cloud.endpoint, 'test', 'us-west-2');
  try {
    await instance('copied-db', { MultiAZ: true });
    const source = await snapshot('copied-db', 'copied-snap');
    // Real durations: the copies stay pending (queued behind each other) until the clock moves.
    await rdsConfig({ timeScale: 1 });
    const copy = (n: number) =>
      west.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source,
          TargetDBSnapshotIdentifier: `dr-${n}`,
        }),
      );
    for (let n = 1; n <= 20; n++) await copy(n);
    expect(await errorOf(copy(21))).toEqual({
      name: 'SnapshotQuotaExceeded',
      message: 'Cannot copy more than 20 snapshots across regions: wait for a copy to us-west-2 to finish.',
    });
    // Copies of one source run one after another: an hour lets the first one finish.
    await cloud.admin.advanceClock({ seconds: 3600 });
    const first = await west.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'dr-1' }));
    expect(first.DBSnapshots?.[0]?.Status).toBe('available');
    expect((await copy(21)).DBSnapshot?.Status).toBe('pending');
  } finally {
    await rdsConfig({ timeScale: 0.0005 });
    west.destroy();
  }
});
