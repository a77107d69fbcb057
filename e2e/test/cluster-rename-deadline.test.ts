import { CreateDBClusterSnapshotCommand } from '@aws-sdk/client-rds';
import { findClusterSnapshot } from '@rewind/shared';
import { choreography, createProductionCluster, expectClusterIntact } from '../clusterHarness';
import { expectNotified } from '../failures';
import { startE2E, type E2E } from '../harness';

/**
 * A cluster rename that outlives its deadline: set-aside fails at its deadline, and the rename-back
 * waits for the cluster to be available under its temporary name, then renames it back; its members
 * never left their names. Deadlines are shortened for this cloud only.
 */
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ env: { REWIND_DEADLINE_RENAME_SECONDS: '4' } });
});
afterAll(async () => e2e?.stop());

test('cluster rename never completes within its deadline: the step fails and the cluster is renamed back', async () => {
  const original = await createProductionCluster(e2e.rds, 'slow-rename-cl');
  await e2e.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: 'slow-rename-cl',
      DBClusterSnapshotIdentifier: 'slow-rename-cl-base',
    }),
  );
  for (;;) {
    if ((await findClusterSnapshot(e2e.rds, 'slow-rename-cl-base'))?.Status === 'available') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // the cluster rename takes 60 simulated minutes: 7.2 s at this time scale, longer than the 4 s deadline
  await e2e.cloud.admin.post('/_rewind/rds/config', { profile: { clusterRename: 60 * 60_000 } });
  const { terminal, runId } = await e2e.request({
    identifier: 'slow-rename-cl',
    task: 'db_restore',
    isCluster: true,
    snapshotIdentifier: 'slow-rename-cl-base',
  });
  await e2e.cloud.admin.post('/_rewind/rds/config', { profile: 'realistic' });
  expect(terminal['detail-type']).toBe('RunFailed');
  expect(terminal.detail).toMatchObject({ failedStep: 'set-aside', rolledBack: true });
  expect(String(terminal.detail.reason)).toMatch(/did not become available within its deadline/);
  expect(choreography(e2e, runId)).toEqual(['RunStarted', 'RestoreFailed', 'RollbackCompleted', 'RunFailed']);
  await expectClusterIntact(e2e, original);
  await expectNotified(e2e, 'slow-rename-cl', runId, /failed at set-aside \(rolled back\)/);
}, 90_000);
