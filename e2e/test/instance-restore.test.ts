import {
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-rds';
import {
  captureInstanceConfig,
  diffInstanceConfig,
  findInstance,
  findSnapshot,
  formatDifferences,
} from '@rewind/shared';
import { createProductionInstance, startE2E, type E2E } from '../harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

async function expectSameDatabase(
  identifier: string,
  before: Awaited<ReturnType<typeof createProductionInstance>>,
) {
  const db = await findInstance(e2e.rds, identifier);
  expect(db).toBeDefined();
  const after = captureInstanceConfig(db!);
  const differences = diffInstanceConfig(before, after);
  if (differences.length)
    console.log(`configuration differences for ${identifier}: ${formatDifferences(differences)}`);
  expect(differences).toEqual([]);
  expect(after.endpointAddress).toBe(before.endpointAddress);
  expect(after.dbiResourceId).not.toBe(before.dbiResourceId); // it is the restored copy
  return db!;
}

describe('instance restore, end to end', () => {
  test('create_snapshot: snapshot, set aside, restore with the full configuration, clean up', async () => {
    const before = await createProductionInstance(e2e.rds, 'orders-db');
    const { terminal, runId } = await e2e.request({
      identifier: 'orders-db',
      task: 'create_snapshot',
      isCluster: false,
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.warnings).toEqual([]);

    await expectSameDatabase('orders-db', before);
    const run = await e2e.store.getRun(runId);
    expect(run?.status).toBe('completed');
    expect(await findInstance(e2e.rds, run!.names.temporary!)).toBeUndefined();
    // the run's snapshot and the final snapshot of the set-aside original both exist
    expect((await findSnapshot(e2e.rds, run!.names.snapshot!))?.Status).toBe('available');
    const final = await findSnapshot(e2e.rds, run!.names.finalSnapshot!);
    expect(final).toBeDefined();
    const tags = await e2e.rds.send(
      new ListTagsForResourceCommand({
        ResourceName: (await findSnapshot(e2e.rds, run!.names.snapshot!))!.DBSnapshotArn!,
      }),
    );
    expect(tags.TagList).toEqual(expect.arrayContaining([{ Key: 'rewind:run-id', Value: runId }]));
    // lock released
    expect(await e2e.store.getLock('instance', 'orders-db')).toBeUndefined();
    // the choreography, in order, as another system on the bus saw it
    const types = e2e.observer.ofRun(runId).map((e) => e['detail-type']);
    expect(types).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
    const timeline = await e2e.store.getTimeline(runId);
    expect(timeline.filter((t) => t.direction === 'out').map((t) => t.type)).toEqual(types);
  });

  test("db_restore without a snapshot name uses Trapheus's <identifier>-snapshot", async () => {
    const before = await createProductionInstance(e2e.rds, 'billing-db');
    await e2e.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: 'billing-db',
        DBSnapshotIdentifier: 'billing-db-snapshot',
      }),
    );
    for (;;) {
      if ((await findSnapshot(e2e.rds, 'billing-db-snapshot'))?.Status === 'available') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { terminal, runId } = await e2e.request({ identifier: 'billing-db', task: 'db_restore' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.snapshotIdentifier).toBe('billing-db-snapshot');
    await expectSameDatabase('billing-db', before);
    const run = await e2e.store.getRun(runId);
    expect(run?.names.snapshot).toBeUndefined();
    expect(e2e.observer.ofRun(runId).map((e) => e['detail-type'])).toEqual([
      'RunStarted',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
  });

  test('db_restore picks the newest Rewind snapshot of the database', async () => {
    // orders-db has one from the create_snapshot run above
    const snaps = await e2e.rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'orders-db', SnapshotType: 'manual' }),
    );
    const ours = (snaps.DBSnapshots ?? []).filter((s) =>
      /-rw[a-z0-9]{8}-snapshot-/.test(s.DBSnapshotIdentifier!),
    );
    expect(ours.length).toBeGreaterThan(0);
    const { terminal } = await e2e.request({ identifier: 'orders-db', task: 'db_restore' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.snapshotIdentifier).toBe(ours[0]!.DBSnapshotIdentifier);
  });

  test('create_snapshot_only: a new snapshot, the database untouched', async () => {
    const before = await createProductionInstance(e2e.rds, 'reports-db');
    const { terminal, runId } = await e2e.request({ identifier: 'reports-db', task: 'create_snapshot_only' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    const db = await findInstance(e2e.rds, 'reports-db');
    expect(db?.DbiResourceId).toBe(before.dbiResourceId);
    const run = await e2e.store.getRun(runId);
    expect((await findSnapshot(e2e.rds, run!.names.snapshot!))?.Status).toBe('available');
    expect(e2e.observer.ofRun(runId).map((e) => e['detail-type'])).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RunCompleted',
    ]);
  });
});
