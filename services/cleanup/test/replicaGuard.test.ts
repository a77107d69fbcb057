import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture } from '@rewind/shared/src/testing/fixtures';
import { cleanup as cleanupStep } from '../src/cleanup';
import { atCleanup as atCleanupRun, published as publishedBy } from './cleanupRuns';

const bed = useServiceTestBed();
const { rds } = bed;

const published = () => publishedBy(bed);
const atCleanup = (kind: 'instance' | 'cluster') => atCleanupRun(bed.store, kind);

test('a set-aside instance that got a read replica during the run is left in place, with a warning', async () => {
  const ctx = testContext('cleanup', bed.store);
  const run = await atCleanup('instance');
  const temp = run.names.temporary!;
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [dbInstanceFixture(temp, { ReadReplicaDBInstanceIdentifiers: ['orders-db-reader'] })],
  });
  await cleanupStep.start(ctx, run);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  const [cleanup, completed] = published();
  expect(cleanup).toMatchObject({ type: 'CleanupCompleted', detail: { deletedIdentifier: null } });
  expect(cleanup!.detail.warning).toContain(`${temp} has read replicas (orders-db-reader)`);
  expect(completed!.detail.warnings).toEqual([cleanup!.detail.warning]);
});

test('a set-aside cluster that got a replica cluster during the run is left in place, with a warning', async () => {
  const ctx = testContext('cleanup', bed.store);
  const run = await atCleanup('cluster');
  const temp = run.names.temporary!;
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [
      {
        DBClusterIdentifier: temp,
        DbClusterResourceId: 'cluster-ORIGINAL',
        Status: 'available',
        ReadReplicaIdentifiers: ['arn:aws:rds:eu-west-1:000000000000:cluster:orders-dr'],
      },
    ],
  });
  await cleanupStep.start(ctx, run);
  expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  expect(published()[0]?.detail.warning).toContain(`${temp} has read replicas (orders-dr)`);
});
