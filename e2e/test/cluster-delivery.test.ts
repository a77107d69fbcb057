import { derivedIdentifier, diffClusterConfig, formatDifferences, type ClusterConfig } from '@rewind/shared';
import { createProductionCluster, describeCluster, expectNothingSetAside } from '../clusterHarness';
import { startE2E, type E2E } from '../harness';

/**
 * Delivery faults on cluster runs: 30% of RDS events lost, 30% duplicated, 30% reordered. Every run
 * completes with the cluster as it was, and no RDS mutation is sent twice (counted by the emulator).
 */
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

/** Mutations per role: the cluster, its set-aside copy, and each member (by position) and its set-aside copy. */
function byRole(counts: Counts, config: ClusterConfig, runId: string) {
  const old = (name: string) => derivedIdentifier(name, runId, 'old');
  return {
    cluster: mutations(counts, config.identifier),
    setAside: mutations(counts, old(config.identifier)),
    members: config.members.map((m) => ({
      member: mutations(counts, m.identifier),
      setAside: mutations(counts, old(m.identifier)),
    })),
  };
}

test('cluster runs complete correctly under lost, duplicated and reordered RDS events; no mutation sent twice', async () => {
  const ref = await createProductionCluster(e2e.rds, 'ref-cl');
  const refRun = await e2e.request({ identifier: 'ref-cl', task: 'create_snapshot', isCluster: true });
  expect(refRun.terminal['detail-type']).toBe('RunCompleted');
  const expected = byRole(await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls'), ref, refRun.runId);
  // one cluster snapshot, one cluster rename, one restore, one post-restore modification; each member created
  // (by the harness), renamed aside, created again; on the set-aside copies: delete members, lift protection, delete
  const member = { member: { CreateDBInstance: 2, ModifyDBInstance: 1 }, setAside: { DeleteDBInstance: 1 } };
  expect(expected).toEqual({
    cluster: {
      CreateDBCluster: 1,
      CreateDBClusterSnapshot: 1,
      ModifyDBCluster: 2,
      RestoreDBClusterFromSnapshot: 1,
    },
    setAside: { ModifyDBCluster: 1, DeleteDBCluster: 1 },
    members: [member, member, member],
  });

  const ids = ['lossy-a-cl', 'lossy-b-cl', 'lossy-c-cl'];
  const originals = await Promise.all(ids.map((id) => createProductionCluster(e2e.rds, id)));
  await e2e.cloud.admin.post('/_rewind/rds/faults', { events: { lose: 0.3, duplicate: 0.3, reorder: 0.3 } });
  try {
    const results = await Promise.all(
      ids.map((identifier) => e2e.request({ identifier, task: 'create_snapshot', isCluster: true })),
    );
    const counts = await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls');
    for (const [i, { terminal, runId }] of results.entries()) {
      const original = originals[i]!;
      expect([ids[i], terminal['detail-type'], terminal.detail.reason]).toEqual([
        ids[i],
        'RunCompleted',
        undefined,
      ]);
      expect({ id: ids[i], ...byRole(counts, original, runId) }).toEqual({ id: ids[i], ...expected });
      const after = (await describeCluster(e2e.rds, ids[i]!))!;
      const diffs = diffClusterConfig(original, after);
      if (diffs.length) console.log(`${ids[i]}: ${formatDifferences(diffs)}`);
      expect(diffs).toEqual([]);
      expect([after.endpointAddress, after.readerEndpointAddress]).toEqual([
        original.endpointAddress,
        original.readerEndpointAddress,
      ]);
      await expectNothingSetAside(e2e, runId, original);
    }
  } finally {
    await e2e.cloud.admin.post('/_rewind/rds/faults', {});
  }
}, 240_000);
