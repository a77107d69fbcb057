import {
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-rds';
import { findCluster, findClusterSnapshot } from '@rewind/shared';
import { choreography, createProductionCluster, describeCluster, expectSameCluster } from '../clusterHarness';
import { startE2E, type E2E } from '../harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

async function waitForClusterSnapshot(id: string) {
  for (;;) {
    if ((await findClusterSnapshot(e2e.rds, id))?.Status === 'available') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Aurora cluster restore, end to end', () => {
  test('create_snapshot: cluster snapshot, set aside cluster and members, restore cluster and members, clean up', async () => {
    const before = await createProductionCluster(e2e.rds, 'ledger');
    const { terminal, runId } = await e2e.request({
      identifier: 'ledger',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect([terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual([
      'RunCompleted',
      undefined,
      [],
    ]);

    await expectSameCluster(e2e, runId, before);
    const run = (await e2e.store.getRun(runId))!;
    expect(run.status).toBe('completed');
    // the run's cluster snapshot (tagged) and the final snapshot of the set-aside cluster
    const snap = await findClusterSnapshot(e2e.rds, run.names.snapshot!);
    expect(snap?.Status).toBe('available');
    const tags = await e2e.rds.send(
      new ListTagsForResourceCommand({ ResourceName: snap!.DBClusterSnapshotArn! }),
    );
    expect(tags.TagList).toEqual(expect.arrayContaining([{ Key: 'rewind:run-id', Value: runId }]));
    expect(await findClusterSnapshot(e2e.rds, run.names.finalSnapshot!)).toBeDefined();
    expect(await e2e.store.getLock('cluster', 'ledger')).toBeUndefined();
    const types = choreography(e2e, runId);
    expect(types).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
    const restored = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RestoreCompleted')!;
    expect(restored.detail.endpoint).toEqual({ address: before.endpointAddress, port: 3307 });
    expect(restored.detail.appliedAfterRestore).toEqual(['PreferredMaintenanceWindow', 'DeletionProtection']);
  });

  test('db_restore picks the newest Rewind cluster snapshot', async () => {
    const before = await describeCluster(e2e.rds, 'ledger');
    const snaps = await e2e.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'ledger', SnapshotType: 'manual' }),
    );
    const ours = (snaps.DBClusterSnapshots ?? []).filter((s) =>
      /-rw[a-z0-9]{8}-snapshot-/.test(s.DBClusterSnapshotIdentifier!),
    );
    expect(ours).toHaveLength(1);
    const { terminal, runId } = await e2e.request({
      identifier: 'ledger',
      task: 'db_restore',
      isCluster: true,
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.snapshotIdentifier).toBe(ours[0]!.DBClusterSnapshotIdentifier);
    await expectSameCluster(e2e, runId, before!);
    expect(choreography(e2e, runId)).toEqual([
      'RunStarted',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
  });

  test("a cluster without a database name restores from Trapheus's <identifier>-snapshot", async () => {
    const before = await createProductionCluster(e2e.rds, 'nodb', {
      DatabaseName: undefined,
      DeletionProtection: false,
    });
    expect(before.databaseName).toBeUndefined();
    await e2e.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'nodb',
        DBClusterSnapshotIdentifier: 'nodb-snapshot',
      }),
    );
    await waitForClusterSnapshot('nodb-snapshot');
    const { terminal, runId } = await e2e.request({
      identifier: 'nodb',
      task: 'db_restore',
      isCluster: true,
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.snapshotIdentifier).toBe('nodb-snapshot');
    const after = await expectSameCluster(e2e, runId, before);
    expect(after.databaseName).toBeUndefined();
  });

  test('create_snapshot_only: a new cluster snapshot, the cluster untouched', async () => {
    const before = await describeCluster(e2e.rds, 'nodb');
    const { terminal, runId } = await e2e.request({
      identifier: 'nodb',
      task: 'create_snapshot_only',
      isCluster: true,
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect((await findCluster(e2e.rds, 'nodb'))?.DbClusterResourceId).toBe(before!.dbClusterResourceId);
    const run = (await e2e.store.getRun(runId))!;
    expect((await findClusterSnapshot(e2e.rds, run.names.snapshot!))?.Status).toBe('available');
    expect(choreography(e2e, runId)).toEqual(['RunStarted', 'SnapshotReady', 'RunCompleted']);
  });
});
