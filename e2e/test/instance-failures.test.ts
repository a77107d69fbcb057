import { findInstance, findSnapshot } from '@rewind/shared';
import { expectNotified, expectOriginalIntact } from '../failures';
import { createProductionInstance, startE2E, type E2E } from '../harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

const faults = (body: unknown) => e2e.cloud.admin.post('/_rewind/rds/faults', body);
afterEach(async () => {
  await faults({});
});

describe('failure matrix: each ends in the right terminal event, the original intact, lock released, people told', () => {
  test('restore API error: rolled back', async () => {
    const original = await createProductionInstance(e2e.rds, 'fail-api-db');
    await faults({
      apiErrors: [
        {
          action: 'RestoreDBInstanceFromDBSnapshot',
          code: 'InsufficientDBInstanceCapacity',
          identifier: 'fail-api-db',
        },
      ],
    });
    const { terminal, runId } = await e2e.request({ identifier: 'fail-api-db', task: 'create_snapshot' });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain('InsufficientDBInstanceCapacity');
    const types = e2e.observer.ofRun(runId).map((e) => e['detail-type']);
    expect(types).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RenameCompleted',
      'RestoreFailed',
      'DiscardCompleted',
      'RollbackCompleted',
      'RunFailed',
    ]);
    await expectOriginalIntact(e2e, 'fail-api-db', original);
    await expectNotified(e2e, 'fail-api-db', runId, /failed at restore \(rolled back\)/);
    expect((await e2e.store.getRun(runId))?.status).toBe('failed');
  });

  test('restored instance ends incompatible-restore: the copy is discarded, the original renamed back', async () => {
    const original = await createProductionInstance(e2e.rds, 'fail-incompat-db');
    await faults({
      operations: [{ operation: 'restore', identifier: 'fail-incompat-db', outcome: 'incompatible-restore' }],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'fail-incompat-db',
      task: 'create_snapshot',
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain('incompatible-restore');
    const discard = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'DiscardCompleted');
    expect(discard?.detail.discardedIdentifier).toBe('fail-incompat-db');
    await expectOriginalIntact(e2e, 'fail-incompat-db', original);
    await expectNotified(e2e, 'fail-incompat-db', runId, /failed at restore/);
  });

  test('snapshot creation fails: the run fails before the database is touched', async () => {
    const original = await createProductionInstance(e2e.rds, 'fail-snap-db');
    await faults({ operations: [{ operation: 'snapshot', identifier: '*', outcome: 'failed' }] });
    const { terminal, runId } = await e2e.request({ identifier: 'fail-snap-db', task: 'create_snapshot' });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'snapshot', rolledBack: false });
    expect(e2e.observer.ofRun(runId).map((e) => e['detail-type'])).toEqual([
      'RunStarted',
      'RestoreFailed',
      'RunFailed',
    ]);
    await expectOriginalIntact(e2e, 'fail-snap-db', original);
    await expectNotified(e2e, 'fail-snap-db', runId, /was not touched/);
  });

  test('snapshot quota exceeded at the call: the run fails, database untouched', async () => {
    const original = await createProductionInstance(e2e.rds, 'fail-quota-db');
    await faults({
      operations: [{ operation: 'snapshot', identifier: 'fail-quota-db', outcome: 'quota-exceeded' }],
    });
    const { terminal } = await e2e.request({ identifier: 'fail-quota-db', task: 'create_snapshot' });
    expect(terminal.detail).toMatchObject({ failedStep: 'snapshot', rolledBack: false });
    expect(String(terminal.detail.reason)).toContain('SnapshotQuotaExceeded');
    await expectOriginalIntact(e2e, 'fail-quota-db', original);
  });

  test('deleting the set-aside copy fails: the restore is kept, the run completes with a warning', async () => {
    await createProductionInstance(e2e.rds, 'fail-delete-db');
    await faults({
      apiErrors: [
        { action: 'DeleteDBInstance', code: 'InvalidDBInstanceState', identifier: 'fail-delete-db-rw*' },
      ],
    });
    const { terminal, runId } = await e2e.request({ identifier: 'fail-delete-db', task: 'create_snapshot' });
    expect(terminal['detail-type']).toBe('RunCompleted');
    const warnings = terminal.detail.warnings as string[];
    expect(warnings).toHaveLength(1);
    const run = await e2e.store.getRun(runId);
    const temp = run!.names.temporary!;
    expect(warnings[0]).toContain(`the set-aside original ${temp} remains`);
    expect(warnings[0]).toContain(`aws rds delete-db-instance --db-instance-identifier ${temp}`);
    // the restored database serves under the name; the set-aside copy is still there for a person to remove
    expect((await findInstance(e2e.rds, 'fail-delete-db'))?.DBInstanceStatus).toMatch(/available|backing-up/);
    expect(await findInstance(e2e.rds, temp)).toBeDefined();
    expect(await e2e.store.getLock('instance', 'fail-delete-db')).toBeUndefined();
    await expectNotified(e2e, 'fail-delete-db', runId, /completed with warnings/);
    expect(await findSnapshot(e2e.rds, run!.names.snapshot!)).toBeDefined();
  });
});
