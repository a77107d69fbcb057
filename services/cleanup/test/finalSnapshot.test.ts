import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, type DBInstance } from '@aws-sdk/client-rds';
import {
  runTag,
  settle,
  SNAPSHOT_NAME_MAX_LENGTH,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture } from '@rewind/shared/src/testing/fixtures';
import { cleanup } from '../src/cleanup';
import { atCleanup, checkOf, published, rdsError, stored } from './cleanupRuns';

const bed = useServiceTestBed();
const { rds } = bed;

const NOW = new Date('2026-11-22T03:40:00Z');
const at = (policy: 'always' | 'never' = 'always'): ServiceContext => {
  const ctx = testContext('cleanup', bed.store, () => NOW);
  return { ...ctx, config: { ...ctx.config, finalSnapshot: policy } };
};

function setAside(run: RunRecord, overrides: Partial<DBInstance> = {}) {
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [dbInstanceFixture(run.names.temporary!, { DeletionProtection: false, ...overrides })],
  });
}

const deleteInputs = () => rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input);

/** The set-aside original is gone: the next look completes the step. */
async function deleted(run: RunRecord) {
  rds.on(DescribeDBInstancesCommand).rejects(rdsError('DBInstanceNotFoundFault'));
  const waiting = await stored(bed, run);
  expect(await settle(at(), waiting, cleanup.wait, checkOf(waiting))).toBe('done');
  return published(bed)[0]!.detail;
}

test('the final snapshot is named <identifier>-rw<run tag>-final-<time of the cleanup>, recorded, and reported', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(at(), run);

  const name = `orders-db-rw${runTag(run.runId)}-final-20261122-034000`;
  expect((await stored(bed, run)).names.finalSnapshot).toBe(name);
  expect(deleteInputs()).toEqual([
    {
      DBInstanceIdentifier: run.names.temporary,
      FinalDBSnapshotIdentifier: name,
      DeleteAutomatedBackups: false,
    },
  ]);
  expect(await deleted(run)).toMatchObject({
    deletedIdentifier: run.names.temporary,
    finalSnapshotIdentifier: name,
  });
});

test('a long identifier is cut so the final snapshot name stays within the limit of every snapshot kind', async () => {
  const identifier = `orders-${'x'.repeat(56)}`;
  const run = await atCleanup(bed.store, 'instance', { identifier });
  setAside(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(at(), run);
  const name = (await stored(bed, run)).names.finalSnapshot!;
  const suffix = `-rw${runTag(run.runId)}-final-20261122-034000`;
  expect(name).toHaveLength(SNAPSHOT_NAME_MAX_LENGTH);
  expect(name).toBe(`${identifier.slice(0, SNAPSHOT_NAME_MAX_LENGTH - suffix.length)}${suffix}`);
});

test('deployment policy "never": no final snapshot, and none reported', async () => {
  const run = await atCleanup(bed.store, 'instance');
  setAside(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(at('never'), run);
  expect(deleteInputs()).toEqual([
    { DBInstanceIdentifier: run.names.temporary, SkipFinalSnapshot: true, DeleteAutomatedBackups: false },
  ]);
  expect((await stored(bed, run)).names.finalSnapshot).toBeUndefined();
  expect(await deleted(run)).toMatchObject({ finalSnapshotIdentifier: null });
});

test('a request for a final snapshot wins over the deployment policy "never"', async () => {
  const run = await atCleanup(bed.store, 'instance', {
    request: { identifier: 'orders-db', task: 'create_snapshot', finalSnapshot: true },
  });
  setAside(run);
  rds.on(DeleteDBInstanceCommand).resolves({});
  await cleanup.start(at('never'), run);
  expect(deleteInputs()[0]!.FinalDBSnapshotIdentifier).toMatch(
    /^orders-db-rw[a-z0-9]{8}-final-20261122-034000$/,
  );
});

describe('CopyTagsToSnapshot on the set-aside original', () => {
  const denied = rdsError(
    'AccessDenied',
    'User: arn:aws:sts::000000000000:assumed-role/rewind-cleanup/fn is not authorized to perform: ' +
      'rds:AddTagsToResource on resource: arn:aws:rds:us-east-1:000000000000:snapshot:orders-db-final',
  );

  test('the deletion names a Rewind final snapshot and passes no tags: RDS copies the database tags itself', async () => {
    const run = await atCleanup(bed.store, 'instance');
    setAside(run, { CopyTagsToSnapshot: true });
    rds.on(DeleteDBInstanceCommand).resolves({});
    await cleanup.start(at(), run);
    const [input] = deleteInputs();
    // The name the deployment lets cleanup tag (the snapshot names Rewind invents).
    expect(input!.FinalDBSnapshotIdentifier).toMatch(/-rw[a-z0-9]{8}-final-\d{8}-\d{6}$/);
    expect(Object.keys(input!).sort()).toEqual([
      'DBInstanceIdentifier',
      'DeleteAutomatedBackups',
      'FinalDBSnapshotIdentifier',
    ]);
  });

  test('tagging the final snapshot refused: the run completes with a warning saying why, what remains and the commands', async () => {
    const run = await atCleanup(bed.store, 'instance');
    const temp = run.names.temporary!;
    setAside(run, { CopyTagsToSnapshot: true });
    rds.on(DeleteDBInstanceCommand).rejects(denied);
    await cleanup.start(at(), run);

    const after = await stored(bed, run);
    expect(after.status).toBe('completed');
    const [warning] = after.warnings;
    expect(warning).toContain(`delete the set-aside original ${temp} failed: AccessDenied`);
    expect(warning).toContain('CopyTagsToSnapshot is on');
    expect(warning).toContain('rds:AddTagsToResource');
    expect(warning).toContain(`the set-aside original ${temp} remains`);
    expect(warning).toContain(
      `aws rds delete-db-instance --db-instance-identifier ${temp} --final-db-snapshot-identifier orders-db-rw${runTag(run.runId)}-final-20261122-034000`,
    );
    expect(published(bed)[0]!.detail).toMatchObject({
      deletedIdentifier: null,
      finalSnapshotIdentifier: null,
    });
  });

  test.each([
    ['without CopyTagsToSnapshot', false, 'always'],
    ['with no final snapshot (policy "never")', true, 'never'],
  ] as const)(
    '%s, an AccessDenied is reported as RDS said it, with no word about tags',
    async (_, copyTags, policy) => {
      const run = await atCleanup(bed.store, 'instance');
      setAside(run, { CopyTagsToSnapshot: copyTags });
      rds
        .on(DeleteDBInstanceCommand)
        .rejects(rdsError('AccessDenied', 'not authorized to perform: rds:DeleteDBInstance'));
      await cleanup.start(at(policy), run);
      const [warning] = (await stored(bed, run)).warnings;
      expect(warning).toContain('AccessDenied: not authorized to perform: rds:DeleteDBInstance');
      expect(warning).not.toContain('CopyTagsToSnapshot');
    },
  );
});
