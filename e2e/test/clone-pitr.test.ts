import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
} from '@aws-sdk/client-rds';
import {
  captureInstanceConfig,
  cloneClusterConfig,
  cloneInstanceConfig,
  diffClusterConfig,
  diffInstanceConfig,
  findCluster,
  findClusterSnapshot,
  findInstance,
  findSnapshot,
  formatDifferences,
  type ClusterConfig,
  type InstanceConfig,
} from '@rewind/shared';
import { choreography, createProductionCluster, describeCluster, expectSameCluster } from '../clusterHarness';
import { expectNotified, expectOriginalIntact } from '../failures';
import { createProductionInstance, startE2E, type E2E } from '../harness';
import { MEMBER_SWAP, swapChecks, SWAPPED } from '../swapChecks';

/**
 * Clones (task clone: a new database with the source's whole configuration, the source never touched) and
 * point-in-time restores (restoreTime), in place and as clones, instances and Aurora clusters, on one
 * local cloud at compressed time (RDS durations x 0.002: the restorable window trails the present by 0.6 s).
 */
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

const faults = (body: unknown) => e2e.cloud.admin.post('/_rewind/rds/faults', body);
afterEach(async () => {
  await faults({});
});

type Counts = { byIdentifier: Record<string, Record<string, number>> };
const MUTATIONS = /^(Create|Modify|Delete|Restore|Reboot|Add|Remove|Stop|Start)/;
/** Mutations sent to a database, by name or by ARN (tagging calls name their resource by ARN). */
function mutations(counts: Counts, identifier: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, actions] of Object.entries(counts.byIdentifier)) {
    if (key !== identifier && !/^arn:aws:rds:[^:]*:[^:]*:(db|cluster):/.test(key)) continue;
    if (key !== identifier && key.slice(key.lastIndexOf(':') + 1) !== identifier) continue;
    for (const [action, n] of Object.entries(actions)) {
      if (MUTATIONS.test(action)) out[action] = (out[action] ?? 0) + n;
    }
  }
  return out;
}
const { answering, calls, expectClusterSwapped, expectDownOnlyForTheRenames, expectSwapped, swapMutations } =
  swapChecks(() => e2e);

type History = { key: string; identifiers: string[]; entries: { status: string }[] }[];
const history = (identifier: string) =>
  e2e.cloud.admin.get<History>(`/_rewind/rds/history?identifier=${identifier}`);

/**
 * What a source must look like once a clone is over: the same resource under its name, no mutation sent
 * to it, no status change in its resource history since `before`.
 */
async function sourceSnapshotOf(names: string[]) {
  const counts = await calls();
  return {
    mutations: Object.fromEntries(names.map((n) => [n, mutations(counts, n)])),
    history: Object.fromEntries(await Promise.all(names.map(async (n) => [n, await history(n)]))),
  };
}

async function expectCloneOf(source: InstanceConfig, target: string) {
  const db = await findInstance(e2e.rds, target);
  expect(db?.DBInstanceStatus).toBe('available');
  const clone = captureInstanceConfig(db!);
  const differences = diffInstanceConfig(cloneInstanceConfig(source, target), clone);
  if (differences.length) console.log(`${target}: ${formatDifferences(differences)}`);
  expect(differences).toEqual([]);
  expect(clone.tags).toEqual(source.tags); // the opt-in tag included
  expect(clone.dbiResourceId).not.toBe(source.dbiResourceId);
  return clone;
}

async function expectClusterCloneOf(source: ClusterConfig, target: string) {
  const clone = (await describeCluster(e2e.rds, target))!;
  expect(clone).toBeDefined();
  const differences = diffClusterConfig(cloneClusterConfig(source, target), clone);
  if (differences.length) console.log(`${target}: ${formatDifferences(differences)}`);
  expect(differences).toEqual([]);
  expect(clone.members.map((m) => [m.identifier, m.writer])).toEqual(
    source.members.map((m) => [m.identifier.replace(source.identifier, target), m.writer]),
  );
  return clone;
}

async function waitForSnapshot(id: string) {
  while ((await findSnapshot(e2e.rds, id))?.Status !== 'available') {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The latest restorable time of an instance once it trails its creation (the window is open). */
async function restorableTime(identifier: string): Promise<Date> {
  for (;;) {
    const db = await findInstance(e2e.rds, identifier);
    const latest = db?.LatestRestorableTime;
    if (latest && db?.InstanceCreateTime && latest > db.InstanceCreateTime) return latest;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A cluster's latest restorable time once its window is open. */
async function clusterRestorableTime(identifier: string): Promise<Date> {
  for (;;) {
    const c = await findCluster(e2e.rds, identifier);
    const latest = c?.LatestRestorableTime;
    if (latest && c?.ClusterCreateTime && latest > c.ClusterCreateTime) return latest;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('clone', () => {
  test('instance from its newest snapshot: the full configuration under a new name, the source untouched', async () => {
    const source = await createProductionInstance(e2e.rds, 'shop-db');
    await e2e.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: 'shop-db',
        DBSnapshotIdentifier: 'shop-db-nightly',
      }),
    );
    await waitForSnapshot('shop-db-nightly');
    const before = await sourceSnapshotOf(['shop-db']);

    const { terminal, runId } = await e2e.request({
      identifier: 'shop-db',
      task: 'clone',
      targetIdentifier: 'shop-db-copy',
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.snapshotIdentifier).toBe('shop-db-nightly');
    expect(choreography(e2e, runId)).toEqual(['RunStarted', 'RestoreCompleted', 'RunCompleted']);
    const started = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RunStarted')!;
    expect(started.detail).toMatchObject({ cloneOf: 'shop-db', run: { identifier: 'shop-db-copy' } });
    expect(started.detail.temporaryIdentifier).toBeUndefined();

    await expectCloneOf(source, 'shop-db-copy');
    expect(await sourceSnapshotOf(['shop-db'])).toEqual(before);
    expect((await findInstance(e2e.rds, 'shop-db'))?.DbiResourceId).toBe(source.dbiResourceId);
    // exactly one restore, one modification (what a restore cannot take), one untagging: nothing twice
    expect(mutations(await calls(), 'shop-db-copy')).toEqual({
      RestoreDBInstanceFromDBSnapshot: 1,
      ModifyDBInstance: 1,
      RemoveTagsFromResource: 1,
    });
    expect(await e2e.store.getLock('instance', 'shop-db-copy')).toBeUndefined();
  });

  test('cluster from its newest snapshot: cluster and members under new names, the source untouched', async () => {
    const source = await createProductionCluster(e2e.rds, 'atlas');
    await e2e.rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: 'atlas',
        DBClusterSnapshotIdentifier: 'atlas-nightly',
      }),
    );
    while ((await findClusterSnapshot(e2e.rds, 'atlas-nightly'))?.Status !== 'available') {
      await new Promise((r) => setTimeout(r, 50));
    }
    while ((await findCluster(e2e.rds, 'atlas'))?.Status !== 'available') {
      await new Promise((r) => setTimeout(r, 50));
    }
    const memberNames = source.members.map((m) => m.identifier);
    const before = await sourceSnapshotOf(['atlas', ...memberNames]);

    const { terminal, runId } = await e2e.request({
      identifier: 'atlas',
      isCluster: true,
      task: 'clone',
      targetIdentifier: 'atlas-copy',
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(terminal.detail.snapshotIdentifier).toBe('atlas-nightly');
    expect(choreography(e2e, runId)).toEqual(['RunStarted', 'RestoreCompleted', 'RunCompleted']);
    const restored = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RestoreCompleted')!;
    expect(restored.detail).toMatchObject({ snapshotIdentifier: 'atlas-nightly' });
    expect(restored.detail.restoreTime).toBeUndefined();

    await expectClusterCloneOf(source, 'atlas-copy');
    expect(await sourceSnapshotOf(['atlas', ...memberNames])).toEqual(before);
    const counts = await calls();
    // one restore and one modification of the new cluster, one creation per member: nothing twice
    expect(mutations(counts, 'atlas-copy')).toEqual({
      RestoreDBClusterFromSnapshot: 1,
      ModifyDBCluster: 1,
      RemoveTagsFromResource: 1,
    });
    for (const m of memberNames) {
      expect(mutations(counts, m.replace('atlas', 'atlas-copy'))).toEqual({
        CreateDBInstance: 1,
        RemoveTagsFromResource: 1,
      });
    }
    expect(await e2e.store.getLock('cluster', 'atlas-copy')).toBeUndefined();
  });

  test('cluster at a point in time: cluster and members under new names, the source untouched', async () => {
    const source = await createProductionCluster(e2e.rds, 'vault');
    const memberNames = source.members.map((m) => m.identifier);
    const before = await sourceSnapshotOf(['vault', ...memberNames]);
    const time = await clusterRestorableTime('vault');
    const { terminal, runId } = await e2e.request({
      identifier: 'vault',
      isCluster: true,
      task: 'clone',
      targetIdentifier: 'vault-audit',
      restoreTime: time.toISOString(),
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(choreography(e2e, runId)).toEqual(['RunStarted', 'RestoreCompleted', 'RunCompleted']);
    const restored = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RestoreCompleted')!;
    expect(restored.detail).toMatchObject({ restoreTime: time.toISOString() });
    expect(restored.detail.snapshotIdentifier).toBeUndefined();

    await expectClusterCloneOf(source, 'vault-audit');
    expect(await sourceSnapshotOf(['vault', ...memberNames])).toEqual(before);
    const counts = await calls();
    expect(mutations(counts, 'vault-audit')).toEqual({
      RestoreDBClusterToPointInTime: 1,
      ModifyDBCluster: 1,
      RemoveTagsFromResource: 1,
    });
    for (const m of memberNames) {
      expect(mutations(counts, m.replace('vault', 'vault-audit'))).toEqual({
        CreateDBInstance: 1,
        RemoveTagsFromResource: 1,
      });
    }
  });

  test('intake rejects what a clone cannot do, saying how to fix it', async () => {
    await createProductionInstance(e2e.rds, 'taken-db');
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { targetIdentifier: 'taken-db' },
        'target-exists',
        /taken-db already exists.*another targetIdentifier/,
      ],
      [{ targetIdentifier: 'shop-db' }, 'invalid-input', /must differ from identifier.*db_restore/],
      [{}, 'invalid-input', /needs "targetIdentifier"/],
      [{ targetIdentifier: 'x--y' }, 'invalid-input', /consecutive hyphens/],
      [
        { targetIdentifier: 'shop-db-2', strategy: 'in-place' },
        'invalid-input',
        /"strategy" does not apply to task "clone"/,
      ],
      [
        { targetIdentifier: 'shop-db-2', restoreTime: 'latest', snapshotIdentifier: 'shop-db-nightly' },
        'invalid-input',
        /not both/,
      ],
    ];
    for (const [fields, code, reason] of cases) {
      const { terminal } = await e2e.request({ identifier: 'shop-db', task: 'clone', ...fields });
      expect([terminal['detail-type'], terminal.detail.code]).toEqual(['RestoreRejected', code]);
      expect(String(terminal.detail.reason)).toMatch(reason);
    }
    const snapshotWithTime = await e2e.request({
      identifier: 'shop-db',
      task: 'create_snapshot',
      restoreTime: 'latest',
    });
    expect(snapshotWithTime.terminal.detail.code).toBe('invalid-input');
    expect(String(snapshotWithTime.terminal.detail.reason)).toMatch(/send task "db_restore".*"restoreTime"/);
    // nothing was created by any of them
    const all = await e2e.rds.send(new DescribeDBInstancesCommand({}));
    expect(
      (all.DBInstances ?? []).map((d) => d.DBInstanceIdentifier).filter((n) => n === 'shop-db-2'),
    ).toEqual([]);
  });

  test('a clone whose restore fails discards only what it created and alerts; the source is untouched', async () => {
    const source = await createProductionInstance(e2e.rds, 'crm-db');
    const before = await sourceSnapshotOf(['crm-db']);
    await faults({
      operations: [{ operation: 'restore', identifier: 'crm-db-copy', outcome: 'incompatible-restore' }],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'crm-db',
      task: 'clone',
      targetIdentifier: 'crm-db-copy',
      restoreTime: 'latest',
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore-new', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain('incompatible-restore');
    expect(choreography(e2e, runId)).toEqual([
      'RunStarted',
      'RestoreFailed',
      'RollbackCompleted',
      'RunFailed',
    ]);
    const rollback = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RollbackCompleted')!;
    expect(rollback.detail.restoredIdentifier).toBe('crm-db');
    expect(await findInstance(e2e.rds, 'crm-db-copy')).toBeUndefined();
    expect(mutations(await calls(), 'crm-db-copy')).toEqual({
      RestoreDBInstanceToPointInTime: 1,
      DeleteDBInstance: 1,
    });
    expect(await sourceSnapshotOf(['crm-db'])).toEqual(before);
    expect((await findInstance(e2e.rds, 'crm-db'))?.DbiResourceId).toBe(source.dbiResourceId);
    await expectNotified(e2e, 'crm-db-copy', runId, /failed at restore-new/);
    expect(await e2e.store.getLock('instance', 'crm-db-copy')).toBeUndefined();
  });

  test('clones complete under lost, duplicated and reordered RDS events; no mutation sent twice', async () => {
    const ids = ['drift-a-db', 'drift-b-db', 'drift-c-db'];
    const sources = await Promise.all(ids.map((id) => createProductionInstance(e2e.rds, id)));
    const before = await sourceSnapshotOf(ids);
    await faults({ events: { lose: 0.3, duplicate: 0.3, reorder: 0.3 } });
    const results = await Promise.all(
      ids.map((identifier) =>
        e2e.request({
          identifier,
          task: 'clone',
          targetIdentifier: `${identifier}-x`,
          restoreTime: 'latest',
        }),
      ),
    );
    const counts = await calls();
    for (const [i, { terminal }] of results.entries()) {
      expect([ids[i], terminal['detail-type'], terminal.detail.reason]).toEqual([
        ids[i],
        'RunCompleted',
        undefined,
      ]);
      expect(mutations(counts, `${ids[i]}-x`)).toEqual({
        RestoreDBInstanceToPointInTime: 1,
        ModifyDBInstance: 1,
        RemoveTagsFromResource: 1,
      });
      await expectCloneOf(sources[i]!, `${ids[i]}-x`);
    }
    expect(await sourceSnapshotOf(ids)).toEqual(before);
  });
});

describe('point in time', () => {
  test('instance in place at a given time: set aside, restored from its own backups by resource id, verified', async () => {
    const before = await createProductionInstance(e2e.rds, 'ledger-db');
    const time = await restorableTime('ledger-db');
    const { terminal, runId } = await e2e.request({
      identifier: 'ledger-db',
      task: 'db_restore',
      restoreTime: time.toISOString(),
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect(choreography(e2e, runId)).toEqual([
      'RunStarted',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
    const db = await findInstance(e2e.rds, 'ledger-db');
    const after = captureInstanceConfig(db!);
    const differences = diffInstanceConfig(before, after);
    if (differences.length) console.log(`ledger-db: ${formatDifferences(differences)}`);
    expect(differences).toEqual([]);
    expect(after.endpointAddress).toBe(before.endpointAddress);
    expect(after.dbiResourceId).not.toBe(before.dbiResourceId);
    const run = (await e2e.store.getRun(runId))!;
    expect(run.pointInTime).toEqual({
      time: time.toISOString(),
      sourceIdentifier: 'ledger-db',
      sourceResourceId: before.dbiResourceId,
    });
    // restored from the set-aside original's backups, every setting given (none left to RDS's defaults)
    expect(mutations(await calls(), 'ledger-db')).toMatchObject({ RestoreDBInstanceToPointInTime: 1 });
  });

  test('a time outside the restorable window is rejected with the window; nothing is touched', async () => {
    const db = await findInstance(e2e.rds, 'ledger-db');
    const before = await sourceSnapshotOf(['ledger-db']);
    for (const restoreTime of ['2020-01-01T00:00:00Z', new Date(Date.now() + 3_600_000).toISOString()]) {
      const { terminal } = await e2e.request({ identifier: 'ledger-db', task: 'db_restore', restoreTime });
      expect([terminal['detail-type'], terminal.detail.code]).toEqual([
        'RestoreRejected',
        'outside-restorable-window',
      ]);
      const reason = String(terminal.detail.reason);
      expect(reason).toContain(`from ${db!.InstanceCreateTime!.toISOString()} to `);
      expect(reason).toMatch(
        /outside the restorable window of ledger-db.*Pick a time inside it, or "latest"/,
      );
    }
    expect(await sourceSnapshotOf(['ledger-db'])).toEqual(before);
  });

  test('cluster in place at the latest restorable time: cluster and members restored, same names and endpoints', async () => {
    const before = await createProductionCluster(e2e.rds, 'books');
    const { terminal, runId } = await e2e.request({
      identifier: 'books',
      isCluster: true,
      task: 'db_restore',
      restoreTime: 'latest',
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    await expectSameCluster(e2e, runId, before);
    expect(mutations(await calls(), 'books')).toMatchObject({ RestoreDBClusterToPointInTime: 1 });
  });
});

/**
 * What a swap from a point in time sends: no snapshot; the copy is restored beside the original from the
 * original's own backups (by its resource id), configured, and renamed to the name; the original is
 * renamed aside, its deletion protection lifted, and deleted (with its final snapshot).
 */
const INSTANCE_PITR_SWAP = {
  original: { CreateDBInstance: 1, ModifyDBInstance: 1 },
  staging: { RestoreDBInstanceToPointInTime: 1, ModifyDBInstance: 2 },
  setAside: { ModifyDBInstance: 1, DeleteDBInstance: 1 },
};
const CLUSTER_PITR_SWAP = {
  cluster: {
    original: { CreateDBCluster: 1, ModifyDBCluster: 1 },
    staging: { RestoreDBClusterToPointInTime: 1, ModifyDBCluster: 2 },
    setAside: { ModifyDBCluster: 1, DeleteDBCluster: 1 },
  },
  members: [MEMBER_SWAP, MEMBER_SWAP, MEMBER_SWAP],
};
const SWAPPED_FROM_BACKUPS = SWAPPED.filter((t) => t !== 'SnapshotReady');

describe('swap from a point in time', () => {
  test('instance at a time and at the latest: restored beside from its own backups while it serves, then two renames', async () => {
    const ids = ['tide-db', 'tide-latest-db'];
    const befores = await Promise.all(ids.map((id) => createProductionInstance(e2e.rds, id)));
    const times = [(await restorableTime('tide-db')).toISOString(), 'latest'];
    await restorableTime('tide-latest-db');
    const results = await Promise.all(
      ids.map((identifier, i) =>
        e2e.request({ identifier, task: 'db_restore', strategy: 'swap', restoreTime: times[i] }),
      ),
    );
    for (const [i, { terminal, runId }] of results.entries()) {
      const [identifier, before, time] = [ids[i]!, befores[i]!, times[i]!];
      expect([identifier, terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual(
        [identifier, 'RunCompleted', undefined, []],
      );
      expect(choreography(e2e, runId)).toEqual(SWAPPED_FROM_BACKUPS);
      const run = (await e2e.store.getRun(runId))!;
      expect(run.run.plan).toEqual(['restore-beside', 'set-aside', 'take-name', 'cleanup']);
      // from the original's backups, by its resource id
      expect(run.pointInTime).toEqual({
        time,
        sourceIdentifier: identifier,
        sourceResourceId: before.dbiResourceId,
      });
      const restored = e2e.observer.ofRun(runId).find((e) => e['detail-type'] === 'RestoreCompleted')!;
      expect(restored.detail).toMatchObject({ restoreTime: time, stagingIdentifier: run.names.staging });
      expect(restored.detail.snapshotIdentifier).toBeUndefined();
      expect(terminal.detail).toMatchObject({ restoreTime: time }); // the alert says which time
      await expectSwapped(identifier, before, runId);
      expect(await swapMutations(before, runId)).toEqual(INSTANCE_PITR_SWAP);
      expect(await findSnapshot(e2e.rds, run.names.finalSnapshot!)).toBeDefined();
      await expectDownOnlyForTheRenames(runId, before.endpointAddress!, `instance swap to ${time}`);
    }
  });

  test('cluster at a time: the cluster restored beside from its backups, then its members; the names exchanged', async () => {
    const before = await createProductionCluster(e2e.rds, 'tally');
    const time = (await clusterRestorableTime('tally')).toISOString();
    const { terminal, runId } = await e2e.request({
      identifier: 'tally',
      isCluster: true,
      task: 'db_restore',
      strategy: 'swap',
      restoreTime: time,
    });
    expect([terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual([
      'RunCompleted',
      undefined,
      [],
    ]);
    expect(choreography(e2e, runId)).toEqual(SWAPPED_FROM_BACKUPS);
    expect(terminal.detail).toMatchObject({ restoreTime: time });
    const run = (await e2e.store.getRun(runId))!;
    expect(run.pointInTime).toEqual({
      time,
      sourceIdentifier: 'tally',
      sourceResourceId: before.dbClusterResourceId,
    });
    await expectClusterSwapped(runId, before);
    expect(await swapMutations(before, runId)).toEqual(CLUSTER_PITR_SWAP);
    await expectDownOnlyForTheRenames(runId, before.endpointAddress!, 'cluster swap to a time');
  });

  test('a time the backups refuse at the restore call (out of the window since intake): only the copy goes, the original served throughout', async () => {
    const before = await createProductionInstance(e2e.rds, 'ebb-db');
    const time = (await restorableTime('ebb-db')).toISOString();
    await faults({
      apiErrors: [
        {
          action: 'RestoreDBInstanceToPointInTime',
          code: 'InvalidRestoreFault',
          message: `Restore time ${time} is outside the restorable window.`,
          status: 400,
          identifier: 'ebb-db-rw*-new',
        },
      ],
    });
    const { terminal, runId } = await e2e.request({
      identifier: 'ebb-db',
      task: 'db_restore',
      strategy: 'swap',
      restoreTime: time,
    });
    expect(terminal['detail-type']).toBe('RunFailed');
    expect(terminal.detail).toMatchObject({ failedStep: 'restore-beside', rolledBack: true });
    expect(String(terminal.detail.reason)).toContain(`Restore time ${time} is outside the restorable window`);
    expect(choreography(e2e, runId)).toEqual([
      'RunStarted',
      'RestoreFailed',
      'RollbackCompleted',
      'RunFailed',
    ]);
    await expectOriginalIntact(e2e, 'ebb-db', before);
    const served = await answering(before.endpointAddress!);
    expect(served.map((i) => [i.identifier, i.to ?? 'still answering'])).toEqual([
      ['ebb-db', 'still answering'],
    ]);
    // one refused restore call; nothing renamed, modified or deleted
    expect(await swapMutations(before, runId)).toEqual({
      original: { CreateDBInstance: 1 },
      staging: { RestoreDBInstanceToPointInTime: 1 },
      setAside: {},
    });
    await expectNotified(e2e, 'ebb-db', runId, /failed at restore-beside/);
  });

  test('a swap to a time outside the window is rejected with the window; nothing is touched', async () => {
    const instance = (await findInstance(e2e.rds, 'tide-db'))!;
    const cluster = (await findCluster(e2e.rds, 'tally'))!;
    const cases = [
      { identifier: 'tide-db', isCluster: false, earliest: instance.InstanceCreateTime! },
      { identifier: 'tally', isCluster: true, earliest: cluster.EarliestRestorableTime! },
    ];
    const members = (cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier!);
    const before = await sourceSnapshotOf(['tide-db', 'tally', ...members]);
    for (const { identifier, isCluster, earliest } of cases) {
      for (const restoreTime of ['2020-01-01T00:00:00Z', new Date(Date.now() + 3_600_000).toISOString()]) {
        const { terminal, runId } = await e2e.request({
          identifier,
          isCluster,
          task: 'db_restore',
          strategy: 'swap',
          restoreTime,
        });
        expect([identifier, terminal['detail-type'], terminal.detail.code]).toEqual([
          identifier,
          'RestoreRejected',
          'outside-restorable-window',
        ]);
        const reason = String(terminal.detail.reason);
        expect(reason).toContain(
          `outside the restorable window of ${identifier}: from ${earliest.toISOString()} to `,
        );
        expect(reason).toMatch(/Pick a time inside it, or "latest"/);
        expect(choreography(e2e, runId)).toEqual(['RestoreRejected']);
      }
    }
    expect(await sourceSnapshotOf(['tide-db', 'tally', ...members])).toEqual(before);
    expect(await findInstance(e2e.rds, 'tide-db')).toMatchObject({ DbiResourceId: instance.DbiResourceId });
    expect(await findCluster(e2e.rds, 'tally')).toMatchObject({
      DbClusterResourceId: cluster.DbClusterResourceId,
    });
  });
});
