import {
  CreateDBClusterCommand,
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  ModifyDBInstanceCommand,
  type DBCluster,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  describeInstance,
  eventually,
  instanceUntil,
  useHarness,
  type Harness,
} from './harness';

let h: Harness;
useHarness((x) => (h = x));

const replicaOf = (id: string, source: string) =>
  h.client.send(
    new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: id, SourceDBInstanceIdentifier: source }),
  );

test('CreateDBInstanceReadReplica: both sides list the link, which follows a rename and ends with the source', async () => {
  await createInstance(h, 'src', { MasterUserPassword: 'secret123', BackupRetentionPeriod: 7 });
  await instanceUntil(h, 'src', 'available');
  await replicaOf('src-r1', 'arn:aws:rds:us-east-1:000000000000:db:src');
  const replica = await instanceUntil(h, 'src-r1', 'available');
  expect(replica.ReadReplicaSourceDBInstanceIdentifier).toBe('src');
  expect(replica.BackupRetentionPeriod).toBe(0); // RDS creates replicas with backups off
  expect((await describeInstance(h, 'src')).ReadReplicaDBInstanceIdentifiers).toEqual(['src-r1']);

  // Replicas follow the database, not its name.
  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'src',
      NewDBInstanceIdentifier: 'src-aside',
      ApplyImmediately: true,
    }),
  );
  await instanceUntil(h, 'src-aside', 'available');
  expect((await describeInstance(h, 'src-r1')).ReadReplicaSourceDBInstanceIdentifier).toBe('src-aside');

  // Deleting the source leaves the replica standalone.
  await h.client.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'src-aside', SkipFinalSnapshot: true }),
  );
  await eventually(
    () => describeInstance(h, 'src-r1'),
    (r) => r.ReadReplicaSourceDBInstanceIdentifier === undefined,
  );
});

test('CreateDBInstanceReadReplica needs backups on the source', async () => {
  await createInstance(h, 'nobackup', { MasterUserPassword: 'secret123', BackupRetentionPeriod: 0 });
  await instanceUntil(h, 'nobackup', 'available');
  await expect(replicaOf('nobackup-r1', 'nobackup')).rejects.toMatchObject({
    name: 'InvalidDBInstanceStateFault',
  });
});

test('CreateDBCluster with ReplicationSourceIdentifier: the source lists the replica cluster', async () => {
  const create = (id: string, source?: string) =>
    h.client.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: id,
        Engine: 'aurora-mysql',
        MasterUsername: 'admin',
        MasterUserPassword: 'secret123',
        ReplicationSourceIdentifier: source,
      }),
    );
  const describe = async (id: string) =>
    (await h.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
      .DBClusters?.[0] as DBCluster;
  await create('primary');
  const primaryArn = (await describe('primary')).DBClusterArn!;
  await create('primary-dr', primaryArn);
  expect((await describe('primary')).ReadReplicaIdentifiers).toEqual([
    (await describe('primary-dr')).DBClusterArn,
  ]);
  expect((await describe('primary-dr')).ReplicationSourceIdentifier).toBe(primaryArn);
});
