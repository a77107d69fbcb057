import { captureInstanceConfig, diffInstanceConfig, findInstance, formatDifferences } from '@rewind/shared';
import { createProductionInstance, startE2E, type E2E } from '../harness';

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

type Counts = { byIdentifier: Record<string, Record<string, number>> };
const MUTATIONS = /^(Create|Modify|Delete|Restore|Reboot|Add|Remove)/;

function mutations(counts: Counts, identifier: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts.byIdentifier[identifier] ?? {}).filter(([action]) => MUTATIONS.test(action)),
  );
}

describe('rejections: each names the problem, and nothing blocks the queue', () => {
  test.each([
    [
      { identifier: 'orders_db', task: 'create_snapshot' },
      'invalid-input',
      /may contain only letters, digits and hyphens \(found "_"\) \[rule: characters\]/,
    ],
    [{ identifier: 'orders-db' }, 'invalid-input', /task: is required/],
    [
      { identifier: 'orders-db', task: 'restore' },
      'invalid-input',
      /task must be one of create_snapshot, db_restore, create_snapshot_only/,
    ],
    [
      { identifier: 'no-such-db', task: 'create_snapshot' },
      'unknown-database',
      /no DB instance named no-such-db/,
    ],
  ])('%j -> %s', async (request, code, reason) => {
    const { terminal, runId } = await e2e.request(request);
    expect(terminal['detail-type']).toBe('RestoreRejected');
    expect(terminal.detail.code).toBe(code);
    expect(String(terminal.detail.reason)).toMatch(reason);
    const run = await e2e.store.getRun(runId);
    expect(run?.status).toBe('rejected');
  });

  test('a database without the opt-in tag is rejected, with the command that opts it in', async () => {
    await createProductionInstance(e2e.rds, 'private-db', { Tags: [{ Key: 'team', Value: 'core' }] });
    const { terminal } = await e2e.request({ identifier: 'private-db', task: 'create_snapshot' });
    expect(terminal.detail.code).toBe('not-opted-in');
    expect(String(terminal.detail.reason)).toContain('needs the tag rewind:allow=true');
    expect(String(terminal.detail.reason)).toContain('aws rds add-tags-to-resource');
  });

  test('db_restore of a snapshot that does not exist is rejected', async () => {
    await createProductionInstance(e2e.rds, 'nosnap-db');
    const named = await e2e.request({
      identifier: 'nosnap-db',
      task: 'db_restore',
      snapshotIdentifier: 'nosnap-db-gone',
    });
    expect(named.terminal.detail.code).toBe('snapshot-not-found');
    expect(String(named.terminal.detail.reason)).toContain('snapshot nosnap-db-gone does not exist');
    const implicit = await e2e.request({ identifier: 'nosnap-db', task: 'db_restore' });
    expect(implicit.terminal.detail.code).toBe('snapshot-not-found');
    expect(String(implicit.terminal.detail.reason)).toContain('no nosnap-db-snapshot');
  });

  test('a second run on a database with one in progress is rejected, naming the first', async () => {
    await createProductionInstance(e2e.rds, 'busy-db');
    const first = e2e.request({ identifier: 'busy-db', task: 'create_snapshot_only', requestId: 'busy-1' });
    await e2e.observer.waitFor((e) => e['detail-type'] === 'RunStarted' && e.detail.requestId === 'busy-1');
    const second = await e2e.request({
      identifier: 'busy-db',
      task: 'create_snapshot_only',
      requestId: 'busy-2',
    });
    const { runId } = await first;
    expect(second.terminal.detail.code).toBe('already-running');
    expect(String(second.terminal.detail.reason)).toContain(runId);
  });

  test('a repeated requestId returns the same run and does nothing twice', async () => {
    await createProductionInstance(e2e.rds, 'idem-db');
    const request = { identifier: 'idem-db', task: 'create_snapshot_only', requestId: 'nightly-idem-db' };
    await e2e.publish(request);
    await e2e.publish(request);
    const { runId } = await e2e.request(request);
    const started = e2e.observer.events.filter(
      (e) => e['detail-type'] === 'RunStarted' && e.detail.requestId === 'nightly-idem-db',
    );
    expect(started).toHaveLength(1);
    expect(started[0]!.detail.run!.id).toBe(runId);
    const counts = await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls');
    expect(mutations(counts, 'idem-db')).toEqual({ CreateDBInstance: 1, CreateDBSnapshot: 1 });
  });
});

describe('delivery faults: lost, duplicated and reordered RDS events', () => {
  test('runs complete correctly and no RDS mutation is sent twice', async () => {
    // Reference: mutations of one fault-free run.
    await createProductionInstance(e2e.rds, 'ref-db');
    const ref = await e2e.request({ identifier: 'ref-db', task: 'create_snapshot' });
    expect(ref.terminal['detail-type']).toBe('RunCompleted');
    const refRun = (await e2e.store.getRun(ref.runId))!;
    const before = await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls');
    const expected = {
      original: mutations(before, 'ref-db'),
      setAside: mutations(before, refRun.names.temporary!),
    };

    // one snapshot, one rename, one restore, one post-restore modification; on the copy: lift protection, delete
    expect(expected).toEqual({
      original: {
        CreateDBInstance: 1,
        CreateDBSnapshot: 1,
        ModifyDBInstance: 2,
        RestoreDBInstanceFromDBSnapshot: 1,
      },
      setAside: { ModifyDBInstance: 1, DeleteDBInstance: 1 },
    });

    const ids = ['lossy-a-db', 'lossy-b-db', 'lossy-c-db'];
    const originals = await Promise.all(ids.map((id) => createProductionInstance(e2e.rds, id)));
    await e2e.cloud.admin.post('/_rewind/rds/faults', {
      events: { lose: 0.3, duplicate: 0.3, reorder: 0.3 },
    });
    try {
      const results = await Promise.all(
        ids.map((identifier) => e2e.request({ identifier, task: 'create_snapshot' })),
      );
      const counts = await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls');
      for (const [i, { terminal, runId }] of results.entries()) {
        expect([ids[i], terminal['detail-type'], terminal.detail.reason]).toEqual([
          ids[i],
          'RunCompleted',
          undefined,
        ]);
        const run = (await e2e.store.getRun(runId))!;
        expect({
          id: ids[i],
          original: mutations(counts, ids[i]!),
          setAside: mutations(counts, run.names.temporary!),
        }).toEqual({
          id: ids[i],
          ...expected,
        });
        const after = captureInstanceConfig((await findInstance(e2e.rds, ids[i]!))!);
        const diffs = diffInstanceConfig(originals[i]!, after);
        if (diffs.length) console.log(`${ids[i]}: ${formatDifferences(diffs)}`);
        expect(diffs).toEqual([]);
        expect(after.endpointAddress).toBe(originals[i]!.endpointAddress);
      }
    } finally {
      await e2e.cloud.admin.post('/_rewind/rds/faults', {});
    }
  }, 180_000);
});
