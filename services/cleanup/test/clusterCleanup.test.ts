import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  type DBCluster,
} from '@aws-sdk/client-rds';
import { settle, type RunRecord } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { cleanup } from '../src/cleanup';
import { atCleanup, checkOf, later, MEMBERS, memberTemp, published, rdsError, stored } from './cleanupRuns';

const bed = useServiceTestBed();
const { rds } = bed;

/** The set-aside cluster as RDS describes it. */
function setAsideCluster(run: RunRecord, overrides: Partial<DBCluster> = {}) {
  rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: run.names.temporary }).resolves({
    DBClusters: [
      {
        DBClusterIdentifier: run.names.temporary,
        DbClusterResourceId: 'cluster-ORIGINAL',
        Status: 'available',
        DeletionProtection: true,
        ...overrides,
      },
    ],
  });
}

/** The set-aside members, with the resource ids given (default: the recorded ones), or gone. */
function setAsideMembers(run: RunRecord, ids: (string | null)[] = MEMBERS.map((m) => m.dbiResourceId)) {
  MEMBERS.forEach((m, i) => {
    const name = memberTemp(run, m.identifier);
    const member = rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: name });
    if (ids[i] === null) member.rejects(rdsError('DBInstanceNotFoundFault'));
    else
      member.resolves({
        DBInstances: [{ DBInstanceIdentifier: name, DbiResourceId: ids[i]!, DBInstanceStatus: 'available' }],
      });
  });
}

const ctx = () => testContext('cleanup', bed.store);
const look = async (run: RunRecord, at = ctx()) => {
  const current = await stored(bed, run);
  return settle(at, current, cleanup.wait, checkOf(current));
};

test('deletes the set-aside members, then lifts the cluster deletion protection, then deletes the cluster with a final snapshot', async () => {
  const run = await atCleanup(bed.store, 'cluster');
  const temp = run.names.temporary!;
  const [m1, m2] = MEMBERS.map((m) => memberTemp(run, m.identifier));
  setAsideCluster(run);
  setAsideMembers(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  rds.on(ModifyDBClusterCommand).resolves({});
  rds.on(DeleteDBClusterCommand).resolves({});

  await cleanup.start(ctx(), run);
  expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
    { DBInstanceIdentifier: m1, SkipFinalSnapshot: true },
    { DBInstanceIdentifier: m2, SkipFinalSnapshot: true },
  ]);
  expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  const waiting = await stored(bed, run);
  expect(waiting.expectation).toMatchObject({ step: 'cleanup', phase: { index: 0, watch: [m1, m2] } });
  expect(waiting.names.finalSnapshot).toMatch(/^orders-db-rw[a-z0-9]{8}-final-\d{8}-\d{6}$/);

  setAsideMembers(run, [null, null]);
  expect(await look(run)).toBe('waiting');
  expect(rds.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input)).toEqual([
    { DBClusterIdentifier: temp, DeletionProtection: false, ApplyImmediately: true },
  ]);
  expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);

  setAsideCluster(run, { DeletionProtection: false });
  expect(await look(run)).toBe('waiting');
  expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input)).toEqual([
    { DBClusterIdentifier: temp, FinalDBSnapshotIdentifier: waiting.names.finalSnapshot },
  ]);

  rds
    .on(DescribeDBClustersCommand, { DBClusterIdentifier: temp })
    .rejects(rdsError('DBClusterNotFoundFault'));
  expect(await look(run)).toBe('done');
  expect(published(bed).map((e) => e.type)).toEqual(['CleanupCompleted', 'RunCompleted']);
  expect(published(bed)[0]!.detail).toMatchObject({
    deletedIdentifier: temp,
    finalSnapshotIdentifier: waiting.names.finalSnapshot,
  });
  expect(await stored(bed, run)).toMatchObject({ status: 'completed', warnings: [] });
  // Each call once: the looks that found the work under way sent nothing again.
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(2);
  expect(rds.commandCalls(ModifyDBClusterCommand)).toHaveLength(1);
  expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(1);
});

test('a set-aside member that is not the one recorded (another resource id) is never deleted', async () => {
  const run = await atCleanup(bed.store, 'cluster');
  setAsideCluster(run);
  setAsideMembers(run, ['db-MEMBER1', 'db-SOMEBODYELSE']);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(ctx(), run);
  expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier)).toEqual([
    memberTemp(run, 'orders-db-1'),
  ]);
});

test('a set-aside member still being modified is waited for, then deleted', async () => {
  const run = await atCleanup(bed.store, 'cluster');
  setAsideCluster(run);
  setAsideMembers(run, [null, 'db-MEMBER2']);
  const m2 = memberTemp(run, 'orders-db-2');
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: m2 }).resolves({
    DBInstances: [{ DBInstanceIdentifier: m2, DbiResourceId: 'db-MEMBER2', DBInstanceStatus: 'modifying' }],
  });
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(ctx(), run);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  setAsideMembers(run, [null, 'db-MEMBER2']);
  expect(await look(run)).toBe('waiting');
  expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
    { DBInstanceIdentifier: m2, SkipFinalSnapshot: true },
  ]);
});

test('a refused deletion of the set-aside cluster completes the run with a warning naming cluster, members and commands', async () => {
  const run = await atCleanup(bed.store, 'cluster');
  const temp = run.names.temporary!;
  const [m1, m2] = MEMBERS.map((m) => memberTemp(run, m.identifier));
  setAsideCluster(run, { DeletionProtection: false });
  setAsideMembers(run, [null, null]);
  rds.on(DeleteDBClusterCommand).rejects(rdsError('InvalidDBClusterStateFault', 'cluster is busy'));

  await cleanup.start(ctx(), run);

  const [completedCleanup, completedRun] = published(bed);
  expect(completedCleanup).toMatchObject({
    type: 'CleanupCompleted',
    detail: { deletedIdentifier: null, finalSnapshotIdentifier: null },
  });
  const warning = completedCleanup!.detail.warning as string;
  expect(warning).toContain(`delete the set-aside cluster ${temp} failed: InvalidDBClusterStateFault`);
  expect(warning).toContain(`the set-aside original cluster ${temp} (members ${m1}, ${m2}) remains`);
  expect(warning).toMatch(
    new RegExp(
      `aws rds delete-db-instance --db-instance-identifier ${m1} && aws rds delete-db-instance --db-instance-identifier ${m2} && ` +
        `aws rds modify-db-cluster --db-cluster-identifier ${temp} --no-deletion-protection --apply-immediately && ` +
        `aws rds delete-db-cluster --db-cluster-identifier ${temp} --final-db-snapshot-identifier orders-db-rw[a-z0-9]{8}-final-`,
    ),
  );
  expect(completedRun).toMatchObject({ type: 'RunCompleted', detail: { warnings: [warning] } });
  expect(await stored(bed, run)).toMatchObject({ status: 'completed', warnings: [warning] });
});

test('a member still there at the deadline: the run completes with a warning saying what remains', async () => {
  const run = await atCleanup(bed.store, 'cluster');
  setAsideCluster(run);
  setAsideMembers(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(ctx(), run);
  const m1 = memberTemp(run, 'orders-db-1');
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: m1 }).resolves({
    DBInstances: [{ DBInstanceIdentifier: m1, DbiResourceId: 'db-MEMBER1', DBInstanceStatus: 'deleting' }],
  });
  expect(await look(run, later(ctx(), 120))).toBe('failed');
  const after = await stored(bed, run);
  expect(after.status).toBe('completed');
  expect(after.warnings[0]).toMatch(/did not become deleted within its deadline .*last status: .*deleting/);
  expect(after.warnings[0]).toContain(`the set-aside original cluster ${run.names.temporary} (members`);
  expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
});
