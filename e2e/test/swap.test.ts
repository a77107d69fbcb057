import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
} from '@aws-sdk/client-rds';
import {
  captureInstanceConfig,
  derivedIdentifier,
  diffInstanceConfig,
  findClusterSnapshot,
  findInstance,
  findSnapshot,
  formatDifferences,
  type ClusterConfig,
  type InstanceConfig,
} from '@rewind/shared';
import {
  choreography,
  createProductionCluster,
  describeCluster,
  expectClusterIntact,
  expectSameCluster,
} from '../clusterHarness';
import { expectNotified, expectOriginalIntact } from '../failures';
import { createProductionInstance, startE2E, waitForStatus, type E2E } from '../harness';

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

interface Interval {
  from: string;
  to?: string;
  identifier: string;
}
type Timeline = { address: string; intervals: Interval[] }[];
type Counts = { byIdentifier: Record<string, Record<string, number>> };
const MUTATIONS = /^(Create|Modify|Delete|Restore|Reboot|Add|Remove)/;

function mutations(counts: Counts, identifier: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts.byIdentifier[identifier] ?? {}).filter(([action]) => MUTATIONS.test(action)),
  );
}

/** When the endpoint at `address` answered. */
async function answering(address: string): Promise<Interval[]> {
  const timelines = await e2e.cloud.admin.get<Timeline>(
    `/_rewind/rds/availability?address=${encodeURIComponent(address)}`,
  );
  return timelines.flatMap((t) => t.intervals);
}

/** When the run logged its outgoing event `type` (the `nth` one). */
async function loggedAt(runId: string, type: string, nth = 0): Promise<number> {
  const entries = (await e2e.store.getTimeline(runId)).filter(
    (t) => t.direction === 'out' && t.type === type,
  );
  if (!entries[nth]) throw new Error(`run ${runId} logged no ${type} #${nth}`);
  return Date.parse(entries[nth]!.at);
}

/**
 * The original's endpoint answered from its creation until after the copy was restored beside it, then
 * went down only for the renames (a renamed instance flashes `available` before its reboot: such blips
 * fall inside), and answers for the copy from before take-name was confirmed. Prints and returns how long
 * it did not answer (ms).
 */
async function expectDownOnlyForTheRenames(runId: string, address: string, label: string): Promise<number> {
  const intervals = await answering(address);
  expect(intervals.length).toBeGreaterThanOrEqual(2);
  const first = intervals[0]!;
  const last = intervals[intervals.length - 1]!;
  expect(last.to).toBeUndefined();
  const restoredBeside = await loggedAt(runId, 'RestoreCompleted');
  const tookName = await loggedAt(runId, 'RenameCompleted', 1);
  // the original served through the whole restore beside; the name went down only with the set-aside
  expect(Date.parse(first.to!)).toBeGreaterThanOrEqual(restoredBeside);
  // and the copy answered under the name before take-name was confirmed
  expect(Date.parse(last.from)).toBeLessThanOrEqual(tookName);
  let down = 0;
  for (let i = 1; i < intervals.length; i++) {
    down += Date.parse(intervals[i]!.from) - Date.parse(intervals[i - 1]!.to!);
  }
  const run = await e2e.store.getRun(runId);
  const besideMs = restoredBeside - Date.parse(run!.createdAt);
  console.log(
    `${label}: the name did not answer for ${down} ms (two renames); the run restored beside it for ${besideMs} ms`,
  );
  return down;
}

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

/** The copy serves under the name with the original's configuration and endpoint; nothing of the run is left. */
async function expectSwapped(identifier: string, before: InstanceConfig, runId: string) {
  const db = await findInstance(e2e.rds, identifier);
  const after = captureInstanceConfig(db!);
  const differences = diffInstanceConfig(before, after);
  if (differences.length) console.log(`${identifier}: ${formatDifferences(differences)}`);
  expect(differences).toEqual([]);
  expect(after.endpointAddress).toBe(before.endpointAddress);
  expect(after.dbiResourceId).not.toBe(before.dbiResourceId);
  const run = await e2e.store.getRun(runId);
  expect(after.dbiResourceId).toBe(run!.resources.createdIds![run!.names.staging!]);
  await expectOnly(identifier, [identifier]);
  expect(await e2e.store.getLock('instance', identifier)).toBeUndefined();
}

/** The instances whose names start with `prefix` are exactly `names` (no staging or set-aside copy left). */
async function expectOnly(prefix: string, names: string[]) {
  const all = await e2e.rds.send(new DescribeDBInstancesCommand({}));
  const related = (all.DBInstances ?? [])
    .map((d) => d.DBInstanceIdentifier!)
    .filter((n) => n.startsWith(prefix));
  expect(related.sort()).toEqual([...names].sort());
}

const SWAPPED = [
  'RunStarted',
  'SnapshotReady',
  'RestoreCompleted',
  'RenameCompleted',
  'RenameCompleted',
  'CleanupCompleted',
  'RunCompleted',
];

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
    const restored = events.find((e) => e['detail-type'] === 'RestoreCompleted')!;
    expect(restored.detail.stagingIdentifier).toBe(run.names.staging);
    const renames = events.filter((e) => e['detail-type'] === 'RenameCompleted').map((e) => e.detail);
    expect(renames.map((r) => [r.purpose, r.from, r.to])).toEqual([
      ['set-aside', 'swap-db', run.names.temporary],
      ['take-name', run.names.staging, 'swap-db'],
    ]);
    await expectSwapped('swap-db', before, runId);
    expect(await findSnapshot(e2e.rds, run.names.finalSnapshot!)).toBeDefined();
    await expectDownOnlyForTheRenames(runId, before.endpointAddress!, 'instance swap');
  });
});
