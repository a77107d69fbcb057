import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { expectNotified, expectOriginalIntact } from '../failures';
import { findSnapshot } from '@rewind/shared';
import { createProductionInstance, startE2E, waitForStatus, type E2E } from '../harness';

/**
 * A rename that outlives its deadline (RDS's reboot after a rename can be slow): the set-aside step
 * fails at its deadline, and the rename-back waits for the original to be available again, then
 * renames it back. Deadlines are shortened for this cloud only.
 */
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ env: { REWIND_DEADLINE_RENAME_SECONDS: '4' } });
});
afterAll(async () => e2e?.stop());

test('rename never completes within its deadline: the step fails and the original is renamed back', async () => {
  const original = await createProductionInstance(e2e.rds, 'slow-rename-db');
  // the rename's reboot takes 60 simulated minutes: 7.2 s at this time scale, longer than the 4 s deadline
  await e2e.cloud.admin.post('/_rewind/rds/config', { profile: { renameRebooting: 60 * 60_000 } });
  await e2e.rds.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: 'slow-rename-db',
      DBSnapshotIdentifier: 'slow-rename-db-base',
    }),
  );
  await waitForStatus(e2e.rds, 'slow-rename-db', 'available');
  for (;;) {
    if ((await findSnapshot(e2e.rds, 'slow-rename-db-base'))?.Status === 'available') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const { terminal, runId } = await e2e.request({
    identifier: 'slow-rename-db',
    task: 'db_restore',
    snapshotIdentifier: 'slow-rename-db-base',
  });
  expect(terminal['detail-type']).toBe('RunFailed');
  expect(terminal.detail).toMatchObject({ failedStep: 'set-aside', rolledBack: true });
  expect(String(terminal.detail.reason)).toMatch(/did not become available within its deadline/);
  await e2e.cloud.admin.post('/_rewind/rds/config', { profile: 'realistic' });
  await expectOriginalIntact(e2e, 'slow-rename-db', original);
  await expectNotified(e2e, 'slow-rename-db', runId, /failed at set-aside \(rolled back\)/);
}, 90_000);
