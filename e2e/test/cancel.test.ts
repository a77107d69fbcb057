import { findInstance, type RunRecord } from '@rewind/shared';
import { bufferIo } from '@rewind/cli/src/io';
import { run as rewind } from '@rewind/cli/src/main';
import { createProductionInstance, startE2E, type E2E } from '../harness';

// RDS slower than elsewhere (5x), so a test can catch a run in the middle of a step.
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ rds: { timeScale: 0.01 } });
});
afterAll(async () => e2e?.stop());

type Counts = { byIdentifier: Record<string, Record<string, number>> };
const MUTATIONS = /^(Create|Modify|Delete|Restore|Reboot|Add|Remove)/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cli(...args: string[]) {
  const io = bufferIo();
  const code = await rewind([...args, '--endpoint', e2e.cloud.endpoint], io);
  return { code, out: io.out(), err: io.err() };
}

async function runWhen(requestId: string, ready: (run: RunRecord) => boolean): Promise<RunRecord> {
  const started = await e2e.observer.waitFor(
    (e) => e['detail-type'] === 'RunStarted' && e.detail.requestId === requestId,
  );
  const runId = started.detail.run!.id;
  for (let waited = 0; waited < 60_000; waited += 50) {
    const run = await e2e.store.getRun(runId);
    if (run && ready(run)) return run;
    await sleep(50);
  }
  throw new Error(`run ${runId} never reached the state the test waits for`);
}

async function mutations(identifier: string): Promise<Record<string, number>> {
  const counts = await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls');
  return Object.fromEntries(
    Object.entries(counts.byIdentifier[identifier] ?? {}).filter(([action]) => MUTATIONS.test(action)),
  );
}

describe('rewind cancel', () => {
  test('before the set-aside: the run ends at once, its lock is released, the database is untouched', async () => {
    const original = await createProductionInstance(e2e.rds, 'cancel-early-db');
    await e2e.publish({ identifier: 'cancel-early-db', task: 'create_snapshot', requestId: 'cancel-early' });
    const running = await runWhen('cancel-early', (r) => r.expectation?.step === 'snapshot');

    const r = await cli('cancel', running.runId, '--reason', 'wrong database', '--json');
    expect([r.code, r.err]).toEqual([0, '']);
    const doc = JSON.parse(r.out) as { status: string; reason: string };
    expect(doc.status).toBe('failed');
    expect(doc.reason).toMatch(/cancelled by \S+: wrong database/);
    expect(doc.reason).toMatch(/snapshot cancel-early-db-\S+ may still be being created; it is kept/);

    const failed = await e2e.observer.waitFor(
      (e) => e['detail-type'] === 'RunFailed' && e.detail.run?.id === running.runId,
    );
    expect(failed.detail).toMatchObject({ failedStep: 'snapshot', rolledBack: false });
    expect(await e2e.store.getLock('instance', 'cancel-early-db')).toBeUndefined();
    const after = await findInstance(e2e.rds, 'cancel-early-db');
    expect([after?.DbiResourceId, after?.DBInstanceStatus]).toEqual([original.dbiResourceId, 'available']);
    expect(await mutations('cancel-early-db')).toEqual({ CreateDBInstance: 1, CreateDBSnapshot: 1 });
    // The database is free again: a new request runs.
    const again = await e2e.request({ identifier: 'cancel-early-db', task: 'create_snapshot_only' });
    expect(again.terminal['detail-type']).toBe('RunCompleted');
  }, 120_000);

  test('during the restore: the copy is discarded and the original renamed back (same resource id, same endpoint)', async () => {
    const original = await createProductionInstance(e2e.rds, 'cancel-late-db');
    await e2e.publish({ identifier: 'cancel-late-db', task: 'create_snapshot', requestId: 'cancel-late' });
    const restoring = await runWhen(
      'cancel-late',
      (r) => r.expectation?.step === 'restore' && r.expectation.acted === true,
    );

    const r = await cli('cancel', restoring.runId, '--json');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'failed' });
    const types = e2e.observer.ofRun(restoring.runId).map((e) => e['detail-type']);
    expect(types.slice(-4)).toEqual(['RestoreFailed', 'DiscardCompleted', 'RollbackCompleted', 'RunFailed']);

    const after = await findInstance(e2e.rds, 'cancel-late-db');
    expect([after?.DbiResourceId, after?.DBInstanceStatus, after?.Endpoint?.Address]).toEqual([
      original.dbiResourceId,
      'available',
      original.endpointAddress,
    ]);
    expect(await findInstance(e2e.rds, restoring.names.temporary!)).toBeUndefined();
    expect(await e2e.store.getLock('instance', 'cancel-late-db')).toBeUndefined();
  }, 120_000);

  test('a finished run, an unknown run and a run with only its cleanup left are refused with the reason', async () => {
    await createProductionInstance(e2e.rds, 'cancel-done-db');
    const { runId } = await e2e.request({ identifier: 'cancel-done-db', task: 'create_snapshot_only' });
    const done = await cli('cancel', runId);
    expect(done.code).toBe(1);
    expect(done.err).toMatch(/cannot cancel: .* has ended \(completed\); there is nothing to cancel/);

    const unknown = await cli('cancel', 'run-20260101-000000-nothere');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no run run-20260101-000000-nothere/);

    await createProductionInstance(e2e.rds, 'cancel-cleanup-db');
    await e2e.publish({
      identifier: 'cancel-cleanup-db',
      task: 'create_snapshot',
      requestId: 'cancel-cleanup',
    });
    const cleaning = await runWhen('cancel-cleanup', (r) => r.run.next === 'cleanup');
    const refused = await cli('cancel', cleaning.runId);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/only the deletion of the set-aside original is left/);
    const end = await e2e.observer.waitFor(
      (e) => ['RunCompleted', 'RunFailed'].includes(e['detail-type']) && e.detail.run?.id === cleaning.runId,
    );
    expect(end['detail-type']).toBe('RunCompleted');
  }, 120_000);
});
