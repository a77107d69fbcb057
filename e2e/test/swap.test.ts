import { CreateDBClusterSnapshotCommand, CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { derivedIdentifier, findClusterSnapshot, findInstance, findSnapshot } from '@rewind/shared';
import {
  choreography,
  createProductionCluster,
  expectClusterIntact,
  expectSameCluster,
} from '../clusterHarness';
import { expectNotified, expectOriginalIntact } from '../failures';
import { bufferIo } from '@rewind/cli/src/io';
import { run as rewind } from '@rewind/cli/src/main';
import { createProductionInstance, startE2E, waitForStatus, type E2E } from '../harness';
import { MEMBER_SWAP, swapChecks, SWAPPED } from '../swapChecks';

/**
 * The swap strategy end to end: the copy is restored beside the original under staging names while the
 * original serves, then two renames exchange the names. The emulator's endpoint availability timeline
 * shows the original's address answering throughout the restore, with one gap around the renames.
 * Failures before, between and after the renames each end with the original (or, once both renames are
 * done, the copy) serving under the name, nothing of the run left behind, and people told.
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

const {
  answering,
  expectDownOnlyForTheRenames,
  expectNoClusterCopies,
  expectOnly,
  expectSwapped,
  swapMutations,
} = swapChecks(() => e2e);

async function snapshotOf(identifier: string, name: string) {
  await e2e.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: identifier, DBSnapshotIdentifier: name }),
  );
  for (;;) {
    if ((await findSnapshot(e2e.rds, name))?.Status === 'available') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await waitForStatus(e2e.rds, identifier, 'available');
}

/**
 * What one swap sends, fault-free or not. Instance: the harness creates it, one snapshot, the set-aside
 * rename; the copy: one restore, the post-restore modification, the take-name rename; the set-aside
 * original: lift deletion protection, delete. Cluster: likewise (each member created by the harness and
 * renamed aside; its copy created and renamed to the name; the set-aside member deleted).
 */
const INSTANCE_SWAP = {
  original: { CreateDBInstance: 1, CreateDBSnapshot: 1, ModifyDBInstance: 1 },
  staging: { RestoreDBInstanceFromDBSnapshot: 1, ModifyDBInstance: 2 },
  setAside: { ModifyDBInstance: 1, DeleteDBInstance: 1 },
};
const CLUSTER_SWAP = {
  cluster: {
    original: { CreateDBCluster: 1, CreateDBClusterSnapshot: 1, ModifyDBCluster: 1 },
    staging: { RestoreDBClusterFromSnapshot: 1, ModifyDBCluster: 2 },
    setAside: { ModifyDBCluster: 1, DeleteDBCluster: 1 },
  },
  members: [MEMBER_SWAP, MEMBER_SWAP, MEMBER_SWAP],
};

describe('swap, instance', () => {
  test('create_snapshot: restored beside while the original serves; down only for the two renames', async () => {
    const before = await createProductionInstance(e2e.rds, 'swap-db');
    const { terminal, runId } = await e2e.request({
      identifier: 'swap-db',
      task: 'create_snapshot',
      strategy: 'swap',
    });
    expect([terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual([
      'RunCompleted',
      undefined,
      [],
    ]);
    expect(choreography(e2e, runId)).toEqual(SWAPPED);
    const run = (await e2e.store.getRun(runId))!;
    expect(run.run.plan).toEqual(['snapshot', 'restore-beside', 'set-aside', 'take-name', 'cleanup']);
    const events = e2e.observer.ofRun(runId);
    const started = events.find((e) => e['detail-type'] === 'RunStarted')!;
    expect(started.detail).toMatchObject({
      stagingIdentifier: run.names.staging,
      temporaryIdentifier: run.names.temporary,
    });
    const restored = events.find((e) => e['detail-type'] === 'RestoreCompleted')!;
    expect(restored.detail.stagingIdentifier).toBe(run.names.staging);
    const renames = events.filter((e) => e['detail-type'] === 'RenameCompleted').map((e) => e.detail);
    expect(renames.map((r) => [r.purpose, r.from, r.to])).toEqual([
      ['set-aside', 'swap-db', run.names.temporary],
      ['take-name', run.names.staging, 'swap-db'],
    ]);
    await expectSwapped('swap-db', before, runId);
    expect(await swapMutations(before, runId)).toEqual(INSTANCE_SWAP);
    expect(await findSnapshot(e2e.rds, run.names.finalSnapshot!)).toBeDefined();
    await expectDownOnlyForTheRenames(runId, before.endpointAddress!, 'instance swap');
  });
});

async function cli(...args: string[]) {
  const io = bufferIo();
  const code = await rewind([...args, '--endpoint', e2e.cloud.endpoint], io);
  return { code, out: io.out(), err: io.err() };
}

describe('swap, instance: from the CLI; failures before, between and after the renames; cancel', () => {
  test('db_restore with rewind restore --strategy swap --wait', async () => {
    const before = await createProductionInstance(e2e.rds, 'swap-cli-db');
    await snapshotOf('swap-cli-db', 'swap-cli-db-base');
    const r = await cli(
      'restore',
      'swap-cli-db',
      '--task',
      'db_restore',
      '--snapshot',
      'swap-cli-db-base',
      '--strategy',
      'swap',
      '--wait',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    for (const step of ['restore-beside', 'set-aside', 'take-name', 'cleanup']) expect(r.out).toContain(step);
    const runId = /run-\d{8}-\d{6}-[a-z0-9]{8}/.exec(r.out)![0];
    expect(choreography(e2e, runId)).toEqual(SWAPPED.filter((t) => t !== 'SnapshotReady'));
    await expectSwapped('swap-cli-db', before, runId);
    await expectDownOnlyForTheRenames(runId, before.endpointAddress!, 'instance swap (db_restore)');
  });

  test('each failure ends with the original (or, after both renames, the copy) serving, nothing left, people told', async () => {
    const ids = ['swap-before-db', 'swap-aside-db', 'swap-between-db', 'swap-after-db'];
    const originals = await Promise.all(ids.map((id) => createProductionInstance(e2e.rds, id)));
    const standing = [
      // before the renames: the copy restored beside the original ends incompatible-restore
      { operation: 'restore', identifier: 'swap-before-db-rw*-new', outcome: 'incompatible-restore' },
    ];
    const apiErrors = [
      // the first rename (set-aside) is refused
      { action: 'ModifyDBInstance', code: 'InvalidDBInstanceState', identifier: 'swap-aside-db' },
      // after both renames: deleting the set-aside original is refused
      { action: 'DeleteDBInstance', code: 'InvalidDBInstanceState', identifier: 'swap-after-db-rw*-old' },
    ];
    const cancelled = await createProductionInstance(e2e.rds, 'swap-cancel-db');
    await faults({ operations: standing, apiErrors });
    const runs = ids.map((identifier) =>
      e2e.request({ identifier, task: 'create_snapshot', strategy: 'swap' }),
    );
    // rewind cancel while the copy is being restored beside the original: only the copy goes
    const cancelRun = e2e.request({
      identifier: 'swap-cancel-db',
      task: 'create_snapshot',
      strategy: 'swap',
      requestId: 'swap-cancel',
    });
    const started = await e2e.observer.waitFor(
      (e) => e['detail-type'] === 'RunStarted' && e.detail.requestId === 'swap-cancel',
    );
    for (;;) {
      const run = await e2e.store.getRun(started.detail.run!.id);
      if (run?.expectation?.step === 'restore-beside') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const c = await cli('cancel', started.detail.run!.id, '--reason', 'wrong snapshot');
    expect([c.code, c.err]).toEqual([0, '']);
    // between the renames: once the copy is restored (its modification made), renaming it is refused
    await e2e.observer.waitFor(
      (e) =>
        e['detail-type'] === 'RestoreCompleted' &&
        (e.detail.run as { identifier?: string } | undefined)?.identifier === 'swap-between-db',
    );
    await faults({
      operations: standing,
      apiErrors: [
        ...apiErrors,
        // once: the discard then lifts the copy's deletion protection with the same call
        {
          action: 'ModifyDBInstance',
          code: 'InvalidDBInstanceState',
          identifier: 'swap-between-db-rw*-new',
          times: 1,
        },
      ],
    });
    const [beforeRun, asideRun, betweenRun, afterRun] = await Promise.all(runs);

    // before: only the copy is discarded; the original never stopped answering
    expect(beforeRun!.terminal.detail).toMatchObject({ failedStep: 'restore-beside', rolledBack: true });
    expect(String(beforeRun!.terminal.detail.reason)).toContain('incompatible-restore');
    expect(choreography(e2e, beforeRun!.runId)).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RestoreFailed',
      'RollbackCompleted',
      'RunFailed',
    ]);
    const served = await answering(originals[0]!.endpointAddress!);
    expect(served.map((i) => [i.identifier, i.to ?? 'still answering'])).toEqual([
      ['swap-before-db', 'still answering'],
    ]);

    // the set-aside refused: rename-back first (it finds the original under its name), then the copy goes
    expect(asideRun!.terminal.detail).toMatchObject({ failedStep: 'set-aside', rolledBack: true });
    expect(choreography(e2e, asideRun!.runId)).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RestoreCompleted',
      'RestoreFailed',
      'RenameCompleted',
      'RollbackCompleted',
      'RunFailed',
    ]);

    // between: the copy is discarded, the original renamed back
    expect(betweenRun!.terminal.detail).toMatchObject({ failedStep: 'take-name', rolledBack: true });
    expect(choreography(e2e, betweenRun!.runId)).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RestoreCompleted',
      'RenameCompleted',
      'RestoreFailed',
      'DiscardCompleted',
      'RollbackCompleted',
      'RunFailed',
    ]);

    for (const [i, run] of [beforeRun!, asideRun!, betweenRun!].entries()) {
      expect(run.terminal['detail-type']).toBe('RunFailed');
      await expectOriginalIntact(e2e, ids[i]!, originals[i]!);
      await expectNotified(e2e, ids[i]!, run.runId, /rolled back/);
    }

    const cancel = await cancelRun;
    expect(cancel.terminal.detail).toMatchObject({ failedStep: 'restore-beside', rolledBack: true });
    expect(String(cancel.terminal.detail.reason)).toMatch(/cancelled by \S+: wrong snapshot/);
    await expectOriginalIntact(e2e, 'swap-cancel-db', cancelled);
    const servedThroughout = await answering(cancelled.endpointAddress!);
    expect(servedThroughout.map((i) => i.to ?? 'still answering')).toEqual(['still answering']);

    // after both renames: the copy is the outcome; the set-aside original remains, reported with its removal
    expect(afterRun!.terminal['detail-type']).toBe('RunCompleted');
    const warnings = afterRun!.terminal.detail.warnings as string[];
    const temp = derivedIdentifier('swap-after-db', afterRun!.runId, 'old');
    expect(warnings).toEqual([
      expect.stringContaining(`aws rds delete-db-instance --db-instance-identifier ${temp}`),
    ]);
    const db = await findInstance(e2e.rds, 'swap-after-db');
    expect(db?.DbiResourceId).not.toBe(originals[3]!.dbiResourceId);
    expect(db?.Endpoint?.Address).toBe(originals[3]!.endpointAddress);
    await expectOnly('swap-after-db', ['swap-after-db', temp]);
    await expectNotified(e2e, 'swap-after-db', afterRun!.runId, /completed with warnings/);
  }, 120_000);
});

async function clusterSnapshotOf(identifier: string, name: string) {
  await e2e.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: identifier,
      DBClusterSnapshotIdentifier: name,
    }),
  );
  for (;;) {
    if ((await findClusterSnapshot(e2e.rds, name))?.Status === 'available') break;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('swap, cluster (the cluster and every member, writer first)', () => {
  test('create_snapshot and db_restore: restored beside under staging names, down only for the renames', async () => {
    const [snap, base] = await Promise.all([
      createProductionCluster(e2e.rds, 'beside-cl'),
      createProductionCluster(e2e.rds, 'swap-base-cl'),
    ]);
    await clusterSnapshotOf('swap-base-cl', 'swap-base-cl-base');
    const [snapRun, baseRun] = await Promise.all([
      e2e.request({ identifier: 'beside-cl', task: 'create_snapshot', isCluster: true, strategy: 'swap' }),
      e2e.request({
        identifier: 'swap-base-cl',
        task: 'db_restore',
        snapshotIdentifier: 'swap-base-cl-base',
        isCluster: true,
        strategy: 'swap',
      }),
    ]);
    const cases = [
      { ran: snapRun, before: snap, plan: SWAPPED },
      { ran: baseRun, before: base, plan: SWAPPED.filter((t) => t !== 'SnapshotReady') },
    ];
    for (const { ran, before, plan } of cases) {
      const { terminal, runId } = ran;
      expect([terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual([
        'RunCompleted',
        undefined,
        [],
      ]);
      expect(choreography(e2e, runId)).toEqual(plan);
      const after = await expectSameCluster(e2e, runId, before);
      const run = (await e2e.store.getRun(runId))!;
      expect(after.dbClusterResourceId).toBe(run.resources.createdIds![run.names.staging!]);
      for (const m of after.members) {
        expect(m.dbiResourceId).toBe(
          run.resources.createdIds![derivedIdentifier(m.identifier, runId, 'new')],
        );
      }
      await expectNoClusterCopies(before);
      if (run.task === 'create_snapshot') expect(await swapMutations(before, runId)).toEqual(CLUSTER_SWAP);
      await expectDownOnlyForTheRenames(runId, before.endpointAddress!, `cluster swap (${run.task})`);
    }
  }, 120_000);

  test('failures before and between the renames (half way through take-name): the original cluster comes back', async () => {
    const ids = ['swap-before-cl', 'swap-between-cl'];
    const originals = await Promise.all(ids.map((id) => createProductionCluster(e2e.rds, id)));
    await faults({
      operations: [
        // before: a member of the copy fails to create
        { operation: 'create', identifier: 'swap-before-cl-*-rw*-new', outcome: 'failed', times: 1 },
      ],
      apiErrors: [
        // between: the copy's cluster took the name, then renaming one of its members is refused
        {
          action: 'ModifyDBInstance',
          code: 'InvalidDBInstanceState',
          identifier: 'swap-between-cl-*-new',
          times: 1,
        },
      ],
    });
    const [beforeRun, betweenRun] = await Promise.all(
      ids.map((identifier) =>
        e2e.request({ identifier, task: 'create_snapshot', isCluster: true, strategy: 'swap' }),
      ),
    );
    expect(beforeRun!.terminal.detail).toMatchObject({ failedStep: 'restore-beside', rolledBack: true });
    expect(betweenRun!.terminal.detail).toMatchObject({ failedStep: 'take-name', rolledBack: true });
    // the copy's cluster had taken the name when a member's rename was refused
    expect(String(betweenRun!.terminal.detail.reason)).toMatch(
      /rename instance swap-between-cl-\S+-new to swap-between-cl-\S+ failed/,
    );
    for (const [i, run] of [beforeRun!, betweenRun!].entries()) {
      expect(run.terminal['detail-type']).toBe('RunFailed');
      await expectClusterIntact(e2e, originals[i]!);
      await expectNotified(e2e, ids[i]!, run.runId, /rolled back/);
    }
  }, 120_000);
});

describe('swap under delivery faults', () => {
  test('lost, duplicated and reordered RDS events: an instance and a cluster swap complete, no RDS mutation sent twice', async () => {
    const [db, cl] = await Promise.all([
      createProductionInstance(e2e.rds, 'lossy-swap-db'),
      createProductionCluster(e2e.rds, 'lossy-swap-cl'),
    ]);
    await faults({ events: { lose: 0.3, duplicate: 0.3, reorder: 0.3 } });
    const runs = await Promise.all([
      e2e.request({ identifier: 'lossy-swap-db', task: 'create_snapshot', strategy: 'swap' }),
      e2e.request({
        identifier: 'lossy-swap-cl',
        task: 'create_snapshot',
        isCluster: true,
        strategy: 'swap',
      }),
    ]);
    for (const [i, { terminal, runId }] of runs.entries()) {
      expect([i, terminal['detail-type'], terminal.detail.reason]).toEqual([i, 'RunCompleted', undefined]);
      expect(choreography(e2e, runId)).toEqual(SWAPPED);
    }
    expect(await swapMutations(db, runs[0]!.runId)).toEqual(INSTANCE_SWAP);
    expect(await swapMutations(cl, runs[1]!.runId)).toEqual(CLUSTER_SWAP);
    await expectSwapped('lossy-swap-db', db, runs[0]!.runId);
    await expectSameCluster(e2e, runs[1]!.runId, cl);
    await expectNoClusterCopies(cl);
  }, 120_000);
});
