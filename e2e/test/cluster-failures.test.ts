import { findCluster, findClusterSnapshot, findInstance } from '@rewind/shared';
import { choreography, createProductionCluster, expectClusterIntact } from '../clusterHarness';
import { expectNotified } from '../failures';
import { startE2E, type E2E } from '../harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

const faults = (body: unknown) => e2e.cloud.admin.post('/_rewind/rds/faults', body);
afterEach(async () => {
  await faults({});
});

const ROLLED_BACK_AT_RESTORE = [
  'RunStarted',
  'SnapshotReady',
  'RenameCompleted',
  'RestoreFailed',
  'DiscardCompleted',
  'RollbackCompleted',
  'RunFailed',
];

describe('cluster failure matrix: the right terminal event, the original cluster and members back, lock released, people told', () => {
  test('restore API error: rolled back', async () => {
    const original = await createProductionCluster(e2e.rds, 'fail-api-cl');
    await faults({
      apiErrors: [
        {
          action: 'RestoreDBClusterFromSnapshot',
          code: 'InsufficientDBClusterCapacityFault',
          identifier: 'fail-api-cl',
        },
      ],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'fail-api-cl',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain('InsufficientDBClusterCapacityFault');
    expect(choreography(e2e, runId)).toEqual(ROLLED_BACK_AT_RESTORE);
    const discard = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'DiscardCompleted');
    expect(discard?.detail.discardedIdentifier).toBeNull();
    await expectClusterIntact(e2e, original);
    await expectNotified(e2e, 'fail-api-cl', runId, /failed at restore \(rolled back\)/);
    expect((await e2e.store.getRun(runId))?.status).toBe('failed');
  });

  test('restored cluster ends failed: it is discarded, the original renamed back', async () => {
    const original = await createProductionCluster(e2e.rds, 'fail-restore-cl');
    await faults({
      operations: [{ operation: 'cluster-restore', identifier: 'fail-restore-cl', outcome: 'failed' }],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'fail-restore-cl',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain(
      'restored cluster fail-restore-cl ended in status failed',
    );
    expect(choreography(e2e, runId)).toEqual(ROLLED_BACK_AT_RESTORE);
    const discard = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'DiscardCompleted');
    expect(discard?.detail.discardedIdentifier).toBe('fail-restore-cl');
    await expectClusterIntact(e2e, original);
    await expectNotified(e2e, 'fail-restore-cl', runId, /failed at restore/);
  });

  test('a member fails to create: the half-created cluster and its members are removed, the original comes back', async () => {
    const original = await createProductionCluster(e2e.rds, 'fail-member-cl');
    // the second reader: the cluster, its writer and the first reader exist by then
    await faults({
      operations: [{ operation: 'create', identifier: 'fail-member-cl-3', outcome: 'failed' }],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'fail-member-cl',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain('member fail-member-cl-3 ended in status failed');
    expect(choreography(e2e, runId)).toEqual(ROLLED_BACK_AT_RESTORE);
    await expectClusterIntact(e2e, original);
    // nothing the run created is left: the discard removed the restored cluster with all its members
    const counts = await e2e.cloud.admin.get<{ byIdentifier: Record<string, Record<string, number>> }>(
      '/_rewind/rds/calls',
    );
    for (const m of original.members)
      expect([m.identifier, counts.byIdentifier[m.identifier]?.DeleteDBInstance]).toEqual([m.identifier, 1]);
    expect(counts.byIdentifier['fail-member-cl']?.DeleteDBCluster).toBe(1);
    await expectNotified(e2e, 'fail-member-cl', runId, /failed at restore \(rolled back\)/);
  });

  test('cluster snapshot fails: the run fails before the cluster is touched', async () => {
    const original = await createProductionCluster(e2e.rds, 'fail-snap-cl');
    await faults({ operations: [{ operation: 'cluster-snapshot', identifier: '*', outcome: 'failed' }] });
    const { terminal, runId } = await e2e.request({
      identifier: 'fail-snap-cl',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'snapshot', rolledBack: false });
    expect(choreography(e2e, runId)).toEqual(['RunStarted', 'RestoreFailed', 'RunFailed']);
    await expectClusterIntact(e2e, original);
    await expectNotified(e2e, 'fail-snap-cl', runId, /was not touched/);
  });

  test('deleting the set-aside cluster fails: the restore is kept, the run completes with a warning', async () => {
    await createProductionCluster(e2e.rds, 'fail-delete-cl');
    await faults({
      apiErrors: [
        { action: 'DeleteDBCluster', code: 'InvalidDBClusterStateFault', identifier: 'fail-delete-cl-rw*' },
      ],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'fail-delete-cl',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect(terminal['detail-type']).toBe('RunCompleted');
    const warnings = terminal.detail.warnings as string[];
    expect(warnings).toHaveLength(1);
    const run = (await e2e.store.getRun(runId))!;
    const temp = run.names.temporary!;
    expect(warnings[0]).toContain(`the set-aside original cluster ${temp}`);
    expect(warnings[0]).toContain(`aws rds delete-db-cluster --db-cluster-identifier ${temp}`);
    // the restored cluster serves under the name; the set-aside cluster is still there for a person to remove
    expect((await findCluster(e2e.rds, 'fail-delete-cl'))?.Status).toBe('available');
    expect((await findInstance(e2e.rds, 'fail-delete-cl-1'))?.DBClusterIdentifier).toBe('fail-delete-cl');
    expect(await findCluster(e2e.rds, temp)).toBeDefined();
    expect(await e2e.store.getLock('cluster', 'fail-delete-cl')).toBeUndefined();
    await expectNotified(e2e, 'fail-delete-cl', runId, /completed with warnings/);
    expect(await findClusterSnapshot(e2e.rds, run.names.snapshot!)).toBeDefined();
  });
});
