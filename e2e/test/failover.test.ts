/**
 * Cross-region DR on one local cloud with two regions (us-east-1 primary, us-west-2 DR), the failover
 * service's real handler and the real SDK: a plan of two layers (an Aurora global database and a
 * PostgreSQL cross-region read replica in layer 1, an ElastiCache global datastore in layer 2) fails over
 * planned (with RDS events lost and duplicated), fails back (a new replica of the new primary in the
 * original region, promoted once replicating), fails over unplanned with the primary region cut off;
 * failure cases: a replica that cannot be promoted in layer 1 (layer 2 never starts), a switchover Aurora
 * rolls back; the right terminal events, alerts, and exact mutation counts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand,
  DescribeDBClusterSnapshotsCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { findInstance } from '@rewind/shared';
import {
  ACCOUNT,
  clusterArn,
  connectRegions,
  dbArn,
  disconnectRegions,
  eventually,
  globalDatabase,
  globalDatastore,
  globalOf,
  OPT_IN,
  primaryGroupOf,
  rdsIn,
  replica,
  replicatedInstance,
  request,
  writerOf,
} from '../drHarness';
import { rewindIn } from '../../cli/test/helpers';
import { roleCredentials } from '../../local/src/iam/roles';
import { expectNotified } from '../failures';
import { startE2E, type E2E, type ObservedEvent } from '../harness';

let e2e: E2E;
type Counts = { byIdentifier: Record<string, Record<string, number>> };
const MUTATIONS = /^(Create|Modify|Delete|Promote|Switchover|Failover|Copy|Remove)/;
/** RDS mutations per identifier in one region since `before`. */
async function mutationsSince(
  region: string,
  before: Counts,
): Promise<Record<string, Record<string, number>>> {
  const now = await e2e.cloud.admin.get<Counts>(`/_rewind/rds/calls?region=${region}`);
  const diff: Record<string, Record<string, number>> = {};
  for (const [id, actions] of Object.entries(now.byIdentifier)) {
    for (const [action, n] of Object.entries(actions)) {
      const delta = n - (before.byIdentifier[id]?.[action] ?? 0);
      if (delta && MUTATIONS.test(action)) (diff[id] ??= {})[action] = delta;
    }
  }
  return diff;
}
const callsNow = (region: string) => e2e.cloud.admin.get<Counts>(`/_rewind/rds/calls?region=${region}`);
const outcomes = (t: ObservedEvent) =>
  (t.detail.resources as { layer: number; id: string; outcome: string }[]).map(
    (r) => `${r.layer} ${r.id} ${r.outcome}`,
  );

let datastore: string;
const layers = (target: 'west' | 'east', replicaLayer: Record<string, unknown>) => [
  {
    name: 'databases',
    resources: [
      {
        type: 'aurora-global',
        globalClusterId: 'orders',
        targetClusterId: `orders-${target}`,
        targetRegion: target === 'west' ? 'us-west-2' : 'us-east-1',
      },
      { type: 'rds-replica', ...replicaLayer },
    ],
  },
  {
    name: 'caches',
    resources: [
      {
        type: 'elasticache-global',
        globalReplicationGroupId: datastore,
        targetRegion: target === 'west' ? 'us-west-2' : 'us-east-1',
        targetReplicationGroupId: `sessions-${target}`,
      },
    ],
  },
];

beforeAll(async () => {
  e2e = await startE2E({ elasticache: { timeScale: 0.002 } });
  connectRegions(e2e.cloud.endpoint);
  await Promise.all([
    globalDatabase('orders'),
    replicatedInstance('billing'),
    (async () => {
      datastore = await globalDatastore('sessions');
    })(),
  ]);
}, 240_000);
afterAll(async () => {
  disconnectRegions();
  await e2e?.stop();
});
afterEach(async () => {
  await e2e.cloud.admin.post('/_rewind/rds/faults', {});
});

describe('a two-layer plan moves to the DR region and back', () => {
  test('planned failover with RDS events lost and duplicated: every primary in us-west-2, each call once', async () => {
    const before = { east: await callsNow('us-east-1'), west: await callsNow('us-west-2') };
    await e2e.cloud.admin.post('/_rewind/rds/faults', { events: { lose: 0.5, duplicate: 0.5 } });
    const first = {
      plan: 'to-west',
      mode: 'planned',
      requestId: `e2e-dr-planned-${process.pid}`,
      layers: layers('west', {
        replicaId: 'billing-west',
        replicaRegion: 'us-west-2',
        sourceRegion: 'us-east-1',
      }),
    };
    const { answer, terminal, runId } = await request(e2e, first);
    expect(answer['detail-type']).toBe('FailoverStarted');
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['FailoverCompleted', undefined]);
    expect(outcomes(terminal)).toEqual(['1 orders moved', '1 billing-west moved', `2 ${datastore} moved`]);
    // Writers, readers, endpoints where they should be, as each region's API shows them.
    expect(await writerOf('orders')).toBe(clusterArn('us-west-2', 'orders-west'));
    expect(
      (await globalOf('orders', 'us-west-2')).GlobalClusterMembers!.find((m) => m.IsWriter)?.Readers,
    ).toEqual([clusterArn('us-east-1', 'orders-east')]);
    const promoted = await findInstance(rdsIn['us-west-2']!, 'billing-west');
    expect([promoted?.DBInstanceStatus, promoted?.ReadReplicaSourceDBInstanceIdentifier]).toEqual([
      'available',
      undefined,
    ]);
    expect(promoted?.Endpoint?.Address).toMatch(/^billing-west\..*\.us-west-2\.rds\.amazonaws\.com$/);
    expect(await primaryGroupOf(datastore)).toBe('sessions-west');
    // Each mutation once, in the region AWS documents (switchover: the old primary's).
    expect(await mutationsSince('us-east-1', before.east)).toEqual({
      orders: { SwitchoverGlobalCluster: 1 },
    });
    expect(await mutationsSince('us-west-2', before.west)).toEqual({
      'billing-west': { PromoteReadReplica: 1 },
    });
    const run = (await e2e.store.getRun(runId))!;
    expect(run.status).toBe('completed');
    expect(await e2e.store.getLock('global-cluster', 'orders')).toBeUndefined();
    await expectNotified(e2e, 'to-west', runId, /planned failover of plan to-west completed/);
    // The same request again (a retry, a duplicated delivery upstream): answered, nothing moves again.
    const again = await request(e2e, first);
    expect([again.answer['detail-type'], again.answer.detail.code]).toEqual([
      'FailoverRejected',
      'already-running',
    ]);
    expect(again.answer.detail.reason).toContain(`already started run ${runId}`);
    expect(await mutationsSince('us-east-1', before.east)).toEqual({
      orders: { SwitchoverGlobalCluster: 1 },
    });
    expect(await mutationsSince('us-west-2', before.west)).toEqual({
      'billing-west': { PromoteReadReplica: 1 },
    });
    // The run shows in the CLI like any other.
    const status = await rewindIn(e2e.cloud.endpoint, ['status', runId, '--json']);
    expect([status.code, JSON.parse(status.out).status]).toEqual([0, 'completed']);
  }, 180_000);

  test('failback with the CLI (the plan from the configuration file): dr check, then a new replica of the new primary in us-east-1, promoted once replicating; Aurora and the cache switched back', async () => {
    const before = { east: await callsNow('us-east-1'), west: await callsNow('us-west-2') };
    const config = join(mkdtempSync(join(tmpdir(), 'rewind-dr-')), 'rewind.json');
    const back = layers('east', {
      replicaId: 'billing-east-2',
      replicaRegion: 'us-east-1',
      sourceRegion: 'us-west-2',
      sourceId: 'billing-west',
    });
    writeFileSync(
      config,
      JSON.stringify({ drPlans: { failback: 'to-east', plans: { 'to-east': { layers: back } } } }),
    );
    const checked = await rewindIn(e2e.cloud.endpoint, [
      'dr',
      'check',
      '--failback',
      '--config',
      config,
      '--json',
    ]);
    expect([checked.code, checked.err]).toEqual([0, '']);
    expect(JSON.parse(checked.out)).toMatchObject({ plan: 'to-east', direction: 'failback', ready: true });
    const moved = await rewindIn(e2e.cloud.endpoint, ['failback', '--config', config, '--wait', '--json']);
    const document = JSON.parse(moved.out);
    expect([moved.code, document.status, document.reason]).toEqual([0, 'completed', undefined]);
    expect(document.resources.map((r: { id: string; outcome: string }) => `${r.id} ${r.outcome}`)).toEqual([
      'orders moved',
      'billing-east-2 moved',
      `${datastore} moved`,
    ]);
    expect(await writerOf('orders')).toBe(clusterArn('us-east-1', 'orders-east'));
    const promoted = await findInstance(rdsIn['us-east-1']!, 'billing-east-2');
    expect([promoted?.DBInstanceStatus, promoted?.ReadReplicaSourceDBInstanceIdentifier]).toEqual([
      'available',
      undefined,
    ]);
    expect(await primaryGroupOf(datastore)).toBe('sessions-east');
    expect(await mutationsSince('us-east-1', before.east)).toEqual({
      'billing-east-2': { CreateDBInstanceReadReplica: 1, PromoteReadReplica: 1 },
    });
    expect(await mutationsSince('us-west-2', before.west)).toEqual({
      orders: { SwitchoverGlobalCluster: 1 },
    });
  }, 180_000);

  test('unplanned failover with us-east-1 cut off: FailoverGlobalCluster in us-west-2, the replica promoted', async () => {
    await replica('billing-west-2', 'us-west-2', 'billing-east-2', 'us-east-1');
    await e2e.cloud.admin.post('/_rewind/rds/outage', { region: 'us-east-1', reachable: false });
    const before = await callsNow('us-west-2');
    const failover = await request(e2e, {
      plan: 'to-west',
      mode: 'unplanned',
      layers: layers('west', {
        replicaId: 'billing-west-2',
        replicaRegion: 'us-west-2',
        sourceRegion: 'us-east-1',
      }),
    });
    expect(failover.terminal['detail-type']).toBe('FailoverCompleted');
    expect(await writerOf('orders')).toBe(clusterArn('us-west-2', 'orders-west'));
    expect(await mutationsSince('us-west-2', before)).toEqual({
      orders: { FailoverGlobalCluster: 1 },
      'billing-west-2': { PromoteReadReplica: 1 },
    });
    expect(failover.terminal.detail.warnings).toEqual([
      expect.stringMatching(
        /^orders: when its region recovers, Aurora snapshots orders-east as rds:unplanned-global-failover-orders-east-<time>/,
      ),
    ]);
    await e2e.cloud.admin.post('/_rewind/rds/outage', { region: 'us-east-1', reachable: true });
  }, 180_000);

  test('failback after the unplanned failover keeps the snapshot Aurora took of the old primary', async () => {
    const before = { east: await callsNow('us-east-1'), west: await callsNow('us-west-2') };
    // The region comes back: Aurora snapshots the old primary and rebuilds it as a secondary.
    await e2e.cloud.admin.post('/_rewind/rds/outage', { region: 'us-east-1', reachable: true });
    await eventually(
      () => globalOf('orders'),
      (g) => g.GlobalClusterMembers!.every((m) => m.SynchronizationStatus === 'connected'),
      120_000,
    );
    const failback = await request(e2e, {
      plan: 'to-east',
      direction: 'failback',
      layers: [{ resources: [layers('east', {})[0]!.resources[0]!] }],
    });
    expect([failback.terminal['detail-type'], failback.terminal.detail.reason]).toEqual([
      'FailoverCompleted',
      undefined,
    ]);
    const kept = failback.terminal.detail.keptSnapshots as string[];
    expect(kept).toEqual([expect.stringMatching(/^unplanned-global-failover-orders-east-/)]);
    const copy = await rdsIn['us-east-1']!.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: kept[0] }),
    );
    expect(copy.DBClusterSnapshots?.[0]).toMatchObject({ SnapshotType: 'manual', Status: 'available' });
    expect(await writerOf('orders')).toBe(clusterArn('us-east-1', 'orders-east'));
    // One copy in the old primary's region, one switchover in the current primary's; IAM refused nothing.
    expect(await mutationsSince('us-east-1', before.east)).toEqual({
      [kept[0]!.toLowerCase()]: { CopyDBClusterSnapshot: 1 },
    });
    expect(await mutationsSince('us-west-2', before.west)).toEqual({
      orders: { SwitchoverGlobalCluster: 1 },
    });
    const { denials } = await e2e.cloud.admin.get<{ denials: { role: string; message: string }[] }>(
      '/_rewind/iam/denials',
    );
    expect(denials.filter((d) => /failover/.test(d.role)).map((d) => d.message)).toEqual([]);
  }, 240_000);
});

describe('failures: the right terminal event, alerts with the commands, nothing repeated', () => {
  test('a replica that cannot be promoted fails layer 1: layer 2 never starts', async () => {
    await replica('ledger-west', 'us-west-2', 'billing-east-2', 'us-east-1');
    await e2e.cloud.admin.post('/_rewind/rds/faults', {
      apiErrors: [
        {
          action: 'PromoteReadReplica',
          identifier: 'ledger-west',
          code: 'InvalidParameterCombination',
          message: 'the replica cannot be promoted while its source has a pending upgrade',
        },
      ],
    });
    // Layer 2 would move the datastore to the region it is not primary in now.
    const primary = await primaryGroupOf(datastore);
    const cacheLayer = layers(primary === 'sessions-east' ? 'west' : 'east', {})[1];
    const before = await e2e.cloud.admin.get<unknown>(`/_rewind/elasticache/history?region=us-west-2`);
    const { terminal, runId } = await request(e2e, {
      layers: [
        {
          resources: [
            {
              type: 'rds-replica',
              replicaId: 'ledger-west',
              replicaRegion: 'us-west-2',
              sourceRegion: 'us-east-1',
            },
          ],
        },
        cacheLayer,
      ],
    });
    expect(terminal['detail-type']).toBe('FailoverFailed');
    expect(terminal.detail).toMatchObject({
      failedLayer: 1,
      rolledBack: false,
      errorCode: 'InvalidParameterCombination',
    });
    expect(outcomes(terminal)).toEqual(['1 ledger-west not-moved', `2 ${datastore} not-started`]);
    expect(terminal.detail.action).toContain(
      'aws rds promote-read-replica --region us-west-2 --db-instance-identifier ledger-west',
    );
    expect(await primaryGroupOf(datastore)).toBe(primary);
    expect(await e2e.cloud.admin.get<unknown>(`/_rewind/elasticache/history?region=us-west-2`)).toEqual(
      before,
    );
    await expectNotified(e2e, 'ledger-west', runId, /failed at layer 1 \(0 of 2 moved\)/);
    expect(await e2e.store.getLock('instance', 'ledger-west', `${ACCOUNT}:us-west-2#`)).toBeUndefined();
  }, 180_000);

  test('a switchover Aurora rolls back is reported as rolled back; the old primary still writes', async () => {
    await globalDatabase('stock');
    await e2e.cloud.admin.post('/_rewind/rds/faults', {
      operations: [{ operation: 'global-switchover', identifier: 'stock', outcome: 'rollback' }],
    });
    const before = await callsNow('us-east-1');
    const { terminal, runId } = await request(e2e, {
      layers: [
        {
          resources: [
            {
              type: 'aurora-global',
              globalClusterId: 'stock',
              targetClusterId: 'stock-west',
              targetRegion: 'us-west-2',
            },
          ],
        },
      ],
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual([
      'FailoverFailed',
      'the switchover of stock to stock-west did not finish and Aurora rolled it back: stock-east is still the primary',
    ]);
    expect(terminal.detail).toMatchObject({ rolledBack: true, errorCode: 'SwitchoverRolledBack' });
    expect(outcomes(terminal)).toEqual(['1 stock rolled-back']);
    expect(await writerOf('stock')).toBe(clusterArn('us-east-1', 'stock-east'));
    expect(await mutationsSince('us-east-1', before)).toEqual({ stock: { SwitchoverGlobalCluster: 1 } });
    await expectNotified(e2e, 'stock', runId, /switchover rolled back/);
  }, 180_000);

  test("the failover service's own IAM moves only opted-in databases, in whichever region they are", async () => {
    const asFailover = (region: string) =>
      new RDSClient({
        endpoint: e2e.cloud.endpoint,
        region,
        credentials: roleCredentials(`${e2e.cloud.names.prefix}-failover`),
        maxAttempts: 1,
      });
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => 'allowed',
        (err: Error) => `${err.name}: ${err.message}`,
      );
    // Opted out: the secondary of stock in us-west-2, the replica ledger-west (promotion refused earlier).
    const target = clusterArn('us-west-2', 'stock-west');
    const ledger = dbArn('us-west-2', 'ledger-west');
    for (const arn of [target, ledger]) {
      await rdsIn['us-west-2']!.send(
        new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['rewind:allow'] }),
      );
    }
    const before = { east: await callsNow('us-east-1'), west: await callsNow('us-west-2') };
    const east = asFailover('us-east-1');
    const west = asFailover('us-west-2');
    try {
      // A switchover is called in the primary's region (us-east-1) and names the target in us-west-2.
      expect(
        await refusal(
          east.send(
            new SwitchoverGlobalClusterCommand({
              GlobalClusterIdentifier: 'stock',
              TargetDbClusterIdentifier: target,
            }),
          ),
        ),
      ).toMatch(new RegExp(`^AccessDenied: .*rds:SwitchoverGlobalCluster on resource: ${target}`));
      expect(
        await refusal(west.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'ledger-west' }))),
      ).toMatch(new RegExp(`^AccessDenied: .*rds:PromoteReadReplica on resource: ${ledger}`));
      // Nor can it opt them in by tagging them itself.
      expect(
        await refusal(
          west.send(
            new AddTagsToResourceCommand({
              ResourceName: ledger,
              Tags: [{ Key: 'rewind:allow', Value: 'true' }],
            }),
          ),
        ),
      ).toMatch(/^AccessDenied: .*rds:AddTagsToResource/);
      expect(await mutationsSince('us-east-1', before.east)).toEqual({});
      expect(await mutationsSince('us-west-2', before.west)).toEqual({});
    } finally {
      east.destroy();
      west.destroy();
      for (const arn of [target, ledger]) {
        await rdsIn['us-west-2']!.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: OPT_IN }));
      }
    }
  }, 60_000);
});
