import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../src/testing/dynalite';
import {
  LockHeldError,
  newRunId,
  planFor,
  StaleWriteError,
  startRun,
  StateStore,
  type RunRecord,
} from '../src';

let db: Awaited<ReturnType<typeof startDynalite>>;
let store: StateStore;

beforeAll(async () => {
  db = await startDynalite();
  store = new StateStore(db.client, db.tableName);
});
afterAll(async () => db.stop());

function newRun(overrides: Partial<RunRecord> = {}): Omit<RunRecord, 'version'> {
  const runId = newRunId();
  const now = new Date().toISOString();
  return {
    runId,
    identifier: 'orders-db',
    kind: 'instance',
    task: 'create_snapshot',
    strategy: 'in-place',
    run: startRun({
      id: runId,
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      strategy: 'in-place',
      plan: planFor('create_snapshot', 'in-place'),
    }),
    status: 'running',
    request: { identifier: 'orders-db', task: 'create_snapshot' },
    names: {},
    warnings: [],
    resources: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

describe('runs', () => {
  test('the routing slip is stored once: the item keeps identifier, kind, task and strategy only in run', async () => {
    const run = await store.createRun(newRun());
    const item = (
      await db.client.send(
        new GetItemCommand({
          TableName: db.tableName,
          Key: { pk: { S: `RUN#${run.runId}` }, sk: { S: 'RUN' } },
        }),
      )
    ).Item!;
    expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['identifier']));
    expect(['identifier', 'kind', 'task', 'strategy'].filter((k) => k in item)).toEqual([]);
    expect(item.run?.M?.identifier).toEqual({ S: 'orders-db' });
    expect(await store.getRun(run.runId)).toMatchObject({
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      strategy: 'in-place',
    });
  });

  test('create, read back, and refuse a duplicate id', async () => {
    const run = await store.createRun(newRun());
    expect(run.version).toBe(1);
    expect(await store.getRun(run.runId)).toEqual(run);
    await expect(store.createRun(run)).rejects.toBeInstanceOf(StaleWriteError);
    expect(await store.getRun('run-20990101-000000-nosuchid')).toBeUndefined();
  });

  test('two writers racing on one run: one wins, the other gets the typed conflict', async () => {
    const run = await store.createRun(newRun());
    const [a, b] = await Promise.allSettled([
      store.updateRun(run, { run: { ...run.run, next: 'set-aside' } }),
      store.updateRun(run, { status: 'failed' }),
    ]);
    const outcomes = [a.status, b.status].sort();
    expect(outcomes).toEqual(['fulfilled', 'rejected']);
    const loser = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(StaleWriteError);
    expect(loser.reason.message).toContain(`changed since version 1`);
    const stored = await store.getRun(run.runId);
    expect(stored?.version).toBe(2);
  });

  test('a stale copy cannot overwrite a newer version', async () => {
    const v1 = await store.createRun(newRun());
    const v2 = await store.updateRun(v1, { run: { ...v1.run, next: 'set-aside' } });
    await store.updateRun(v2, { run: { ...v2.run, next: 'restore' } });
    await expect(store.updateRun(v2, { status: 'failed' })).rejects.toBeInstanceOf(StaleWriteError);
    expect((await store.getRun(v1.runId))?.run.next).toBe('restore');
  });

  test('runs are listed by status, newest first, and move between statuses', async () => {
    const identifier = 'listing-db';
    const older = await store.createRun(newRun({ identifier, createdAt: '2026-01-01T00:00:00.000Z' }));
    const newer = await store.createRun(newRun({ identifier, createdAt: '2026-01-02T00:00:00.000Z' }));
    const done = await store.createRun(newRun({ identifier, createdAt: '2026-01-03T00:00:00.000Z' }));
    await store.updateRun(done, { status: 'completed' });

    const running = (await store.listRuns('running', { limit: 100 })).runs.map((r) => r.runId);
    expect(running.indexOf(newer.runId)).toBeLessThan(running.indexOf(older.runId));
    expect(running).not.toContain(done.runId);
    expect((await store.listRuns('completed')).runs.map((r) => r.runId)).toContain(done.runId);
    const since = (await store.listRuns('running', { since: '2026-01-02' })).runs.map((r) => r.runId);
    expect(since).toContain(newer.runId);
    expect(since).not.toContain(older.runId);
  });
});

describe('step log', () => {
  test('the timeline comes back in order', async () => {
    const runId = newRunId();
    for (let i = 0; i < 5; i++) {
      await store.appendLog({ runId, at: `2026-11-22T03:15:0${i}.000Z`, direction: 'out', type: `E${i}` });
    }
    // same millisecond twice: both kept
    await store.appendLog({ runId, at: '2026-11-22T03:15:04.000Z', direction: 'in', type: 'E5' });
    const timeline = await store.getTimeline(runId);
    expect(timeline.map((e) => e.type).slice(0, 4)).toEqual(['E0', 'E1', 'E2', 'E3']);
    expect(timeline).toHaveLength(6);
    expect(await store.getRun(runId)).toBeUndefined();
  });
});

describe('locks', () => {
  test('a second lock on the same database is refused, naming the holder', async () => {
    const [a, b] = [newRunId(), newRunId()];
    await store.acquireLock('instance', 'locked-db', a);
    await store.acquireLock('instance', 'locked-db', a); // re-entrant for the holder
    const refused = store.acquireLock('instance', 'locked-db', b);
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);
    await expect(store.acquireLock('instance', 'locked-db', b)).rejects.toThrow(`locked by run ${a}`);
    // a cluster of the same name is another database
    await store.acquireLock('cluster', 'locked-db', b);
    expect(await store.releaseLock('instance', 'locked-db', b)).toBe(false);
    expect(await store.releaseLock('instance', 'locked-db', a)).toBe(true);
    await store.acquireLock('instance', 'locked-db', b);
    expect((await store.getLock('instance', 'locked-db'))?.runId).toBe(b);
  });

  test('racing acquisitions: exactly one wins', async () => {
    const runs = Array.from({ length: 8 }, () => newRunId());
    const results = await Promise.allSettled(runs.map((r) => store.acquireLock('instance', 'race-db', r)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r as PromiseRejectedResult).reason instanceof LockHeldError),
    ).toBe(true);
  });
});

describe('resource index and request ids', () => {
  test('index, look up, expire, unindex', async () => {
    const runId = newRunId();
    await store.indexResource({ kind: 'instance', name: 'orders-db', runId, step: 'restore' }, 3600);
    expect(await store.lookupResource('instance', 'orders-db')).toMatchObject({ runId, step: 'restore' });
    expect(await store.lookupResource('snapshot', 'orders-db')).toBeUndefined();
    const later = new Date(Date.now() + 3601_000);
    expect(await store.lookupResource('instance', 'orders-db', later)).toBeUndefined();
    await store.unindexResource('instance', 'orders-db', 'run-other');
    expect(await store.lookupResource('instance', 'orders-db')).toBeDefined();
    await store.unindexResource('instance', 'orders-db', runId);
    expect(await store.lookupResource('instance', 'orders-db')).toBeUndefined();
  });

  test('a repeated requestId returns the first run', async () => {
    const [a, b] = [newRunId(), newRunId()];
    expect(await store.claimRequestId('nightly-1', a)).toBe(a);
    expect(await store.claimRequestId('nightly-1', b)).toBe(a);
  });

  test('claimedRunId reads who claimed a key, undefined before anyone did', async () => {
    const runId = newRunId();
    expect(await store.claimedRunId('request:cli-lookup-1')).toBeUndefined();
    await store.claimRequestId('request:cli-lookup-1', runId);
    expect(await store.claimedRunId('request:cli-lookup-1')).toBe(runId);
    expect(await store.claimedRunId('request:cli-lookup-2')).toBeUndefined();
  });
});
