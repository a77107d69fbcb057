import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { settle, type RunRecord } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';
import { cleanup } from '../src/cleanup';

const bed = useServiceTestBed();
const { rds, eb } = bed;

async function atCleanup(overrides: Partial<RunRecord> = {}) {
  const fixture = runFixture('orders-db', 'create_snapshot', overrides);
  return bed.store.createRun({
    ...fixture,
    run: { ...fixture.run, next: 'cleanup' },
    resources: { original: 'orders-db', restored: 'orders-db' },
  });
}

/** The set-aside original as described, without deletion protection. */
function unprotectedSetAside(run: RunRecord) {
  rds
    .on(DescribeDBInstancesCommand)
    .resolves({ DBInstances: [dbInstanceFixture(run.names.temporary!, { DeletionProtection: false })] });
}

const sentTypes = () =>
  eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.DetailType));

test('lifts deletion protection on the set-aside original, then deletes it with a final snapshot, keeping automated backups', async () => {
  const ctx = testContext('cleanup', bed.store);
  const run = await atCleanup();
  const temp = run.names.temporary!;
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [dbInstanceFixture(temp)] });
  rds.on(ModifyDBInstanceCommand).resolves({});
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(ctx, run);
  expect(rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
    { DBInstanceIdentifier: temp, DeletionProtection: false, ApplyImmediately: true },
  ]);
  const stored = await bed.store.getRun(run.runId);
  expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
    {
      DBInstanceIdentifier: temp,
      FinalDBSnapshotIdentifier: stored!.names.finalSnapshot,
      DeleteAutomatedBackups: false,
    },
  ]);
  expect(stored!.names.finalSnapshot).toMatch(/^orders-db-rw[a-z0-9]{8}-final-/);
  // One look at the set-aside copy serves both the identity check and the deletion-protection decision.
  expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
});

test('never deletes a database that is not the original recorded by the run', async () => {
  const ctx = testContext('cleanup', bed.store);
  const run = await atCleanup();
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [dbInstanceFixture(run.names.temporary!, { DbiResourceId: 'db-SOMEBODYELSE' })],
  });
  await cleanup.start(ctx, run);
  expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  expect(sentTypes()).toEqual(['CleanupCompleted', 'RunCompleted']);
  expect((await bed.store.getRun(run.runId))?.warnings[0]).toContain(
    'is not the original recorded by this run',
  );
});

test('a refused deletion completes the run with a warning naming the copy and the commands to remove it', async () => {
  const ctx = testContext('cleanup', bed.store);
  const run = await atCleanup();
  const temp = run.names.temporary!;
  unprotectedSetAside(run);
  rds
    .on(DeleteDBInstanceCommand)
    .rejects(Object.assign(new Error('not allowed'), { name: 'InvalidDBInstanceStateFault' }));
  await cleanup.start(ctx, run);
  expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  const stored = await bed.store.getRun(run.runId);
  expect(stored?.status).toBe('completed');
  expect(stored?.warnings[0]).toContain(`the set-aside original ${temp} remains`);
  expect(sentTypes()).toEqual(['CleanupCompleted', 'RunCompleted']);
  const completed = JSON.parse(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![1]!.Detail!);
  expect(completed.warnings).toHaveLength(1);
});

test('finalSnapshot: false in the request skips the final snapshot', async () => {
  const ctx = testContext('cleanup', bed.store);
  const run = await atCleanup({
    request: { identifier: 'orders-db', task: 'create_snapshot', finalSnapshot: false },
  });
  unprotectedSetAside(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(ctx, run);
  expect(rds.commandCalls(DeleteDBInstanceCommand)[0]!.args[0].input).toEqual({
    DBInstanceIdentifier: run.names.temporary,
    SkipFinalSnapshot: true,
    DeleteAutomatedBackups: false,
  });
});

describe('the set-aside original, as the run recorded it', () => {
  test('not found at the start: the run completes with a warning, and nothing is deleted', async () => {
    const ctx = testContext('cleanup', bed.store);
    const run = await atCleanup();
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'DBInstanceNotFoundFault' }));
    await cleanup.start(ctx, run);
    const stored = await bed.store.getRun(run.runId);
    expect(stored?.warnings).toEqual([
      `the set-aside original ${run.names.temporary} was not found; it may have been deleted by hand`,
    ]);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(sentTypes()).toEqual(['CleanupCompleted', 'RunCompleted']);
  });

  test('a restore not recorded as verified: no look, no deletion, a warning with the commands', async () => {
    const ctx = testContext('cleanup', bed.store);
    const created = await atCleanup();
    const run = await bed.store.updateRun(created, { resources: { original: 'orders-db' } });
    await cleanup.start(ctx, run);
    expect(rds.calls()).toHaveLength(0);
    const [warning] = (await bed.store.getRun(run.runId))!.warnings;
    expect(warning).toContain('cleanup skipped: the restore of orders-db is not recorded as verified');
    expect(warning).toContain(`aws rds delete-db-instance --db-instance-identifier ${run.names.temporary}`);
  });

  test('still there at the deadline: the run completes with a warning giving the last status and the commands', async () => {
    const ctx = testContext('cleanup', bed.store);
    const run = await atCleanup();
    const temp = run.names.temporary!;
    unprotectedSetAside(run);
    rds.on(DeleteDBInstanceCommand).resolves({});
    await cleanup.start(ctx, run);
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [dbInstanceFixture(temp, { DBInstanceStatus: 'deleting' })] });
    const waiting = (await bed.store.getRun(run.runId))!;
    const late = testContext('cleanup', bed.store, () => new Date(Date.now() + 120_000));
    expect(await settle(late, waiting, cleanup.wait)).toBe('failed');
    const [warning] = (await bed.store.getRun(run.runId))!.warnings;
    expect(warning).toMatch(
      new RegExp(`^${temp} did not become deleted within its deadline .*last status: deleting\\)`),
    );
    expect(warning).toContain(`the set-aside original ${temp} remains`);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
  });
});
