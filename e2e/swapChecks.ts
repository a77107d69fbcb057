import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import {
  captureInstanceConfig,
  derivedIdentifier,
  diffInstanceConfig,
  findInstance,
  formatDifferences,
  type ClusterConfig,
  type InstanceConfig,
} from '@rewind/shared';
import { expectSameCluster } from './clusterHarness';
import type { E2E } from './harness';

/**
 * What the end-to-end tests check of the RDS side of a run: the mutations it sent (per identifier, from
 * the local cloud's call counts), when an endpoint answered (its availability timeline), and what a swap
 * must leave behind: the copy serving under the original's name and endpoint with its configuration,
 * nothing under staging or set-aside names.
 */

export type Counts = { byIdentifier: Record<string, Record<string, number>> };
const MUTATIONS = /^(Create|Modify|Delete|Restore|Reboot|Add|Remove|Stop|Start)/;

/** The mutating RDS calls sent about `identifier`, by action. */
export function mutations(counts: Counts, identifier: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts.byIdentifier[identifier] ?? {}).filter(([action]) => MUTATIONS.test(action)),
  );
}

/** The events of a swap that restores from a snapshot it takes; without SnapshotReady, from a source given. */
export const SWAPPED = [
  'RunStarted',
  'SnapshotReady',
  'RestoreCompleted',
  'RenameCompleted',
  'RenameCompleted',
  'CleanupCompleted',
  'RunCompleted',
];

/**
 * What a swap sends to each member of a cluster: the original created (by the test) and renamed aside,
 * then deleted under its set-aside name; its copy created under its staging name, then renamed to the name.
 */
export const MEMBER_SWAP = {
  original: { CreateDBInstance: 1, ModifyDBInstance: 1 },
  staging: { CreateDBInstance: 1, ModifyDBInstance: 1 },
  setAside: { DeleteDBInstance: 1 },
};

export interface Interval {
  from: string;
  to?: string;
  identifier: string;
}
type Timeline = { address: string; intervals: Interval[] }[];

/** The checks, on the test file's local cloud (`current`: the one its beforeAll started). */
export function swapChecks(current: () => E2E) {
  const calls = () => current().cloud.admin.get<Counts>('/_rewind/rds/calls');

  /** RDS mutations per role of a swap: the original (under its name, then set aside) and the copy (staging). */
  async function swapMutations(before: InstanceConfig | ClusterConfig, runId: string) {
    const counts = await calls();
    const of = (name: string) => ({
      original: mutations(counts, name),
      staging: mutations(counts, derivedIdentifier(name, runId, 'new')),
      setAside: mutations(counts, derivedIdentifier(name, runId, 'old')),
    });
    return 'members' in before
      ? { cluster: of(before.identifier), members: before.members.map((m) => of(m.identifier)) }
      : of(before.identifier);
  }

  /** When the endpoint at `address` answered. */
  async function answering(address: string): Promise<Interval[]> {
    const timelines = await current().cloud.admin.get<Timeline>(
      `/_rewind/rds/availability?address=${encodeURIComponent(address)}`,
    );
    return timelines.flatMap((t) => t.intervals);
  }

  /** When the run logged its outgoing event `type` (the `nth` one). */
  async function loggedAt(runId: string, type: string, nth = 0): Promise<number> {
    const entries = (await current().store.getTimeline(runId)).filter(
      (t) => t.direction === 'out' && t.type === type,
    );
    if (!entries[nth]) throw new Error(`run ${runId} logged no ${type} #${nth}`);
    return Date.parse(entries[nth]!.at);
  }

  /**
   * The original's endpoint answered from its creation until after the copy was restored beside it, then
   * went down only for the renames (a renamed instance flashes `available` before its reboot: such blips
   * fall inside), and answers for the copy from before take-name was confirmed. Prints and returns how
   * long it did not answer (ms).
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
    const run = await current().store.getRun(runId);
    const besideMs = restoredBeside - Date.parse(run!.createdAt);
    console.log(
      `${label}: the name did not answer for ${down} ms (two renames); the run restored beside it for ${besideMs} ms`,
    );
    return down;
  }

  /** The instances whose names start with `prefix` are exactly `names` (no staging or set-aside copy left). */
  async function expectOnly(prefix: string, names: string[]) {
    const all = await current().rds.send(new DescribeDBInstancesCommand({}));
    const related = (all.DBInstances ?? [])
      .map((d) => d.DBInstanceIdentifier!)
      .filter((n) => n.startsWith(prefix));
    expect(related.sort()).toEqual([...names].sort());
  }

  /** The copy serves under the name with the original's configuration and endpoint; nothing of the run is left. */
  async function expectSwapped(identifier: string, before: InstanceConfig, runId: string) {
    const e2e = current();
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

  /** No staging or set-aside cluster or member of the run is left. */
  async function expectNoClusterCopies(original: ClusterConfig) {
    const clusters = await current().rds.send(new DescribeDBClustersCommand({}));
    expect(
      (clusters.DBClusters ?? [])
        .map((c) => c.DBClusterIdentifier!)
        .filter((n) => n.startsWith(original.identifier)),
    ).toEqual([original.identifier]);
    await expectOnly(
      original.identifier,
      original.members.map((m) => m.identifier),
    );
  }

  /**
   * A cluster swap's outcome: the copy (the cluster and each member, by the resource ids the run recorded
   * under their staging names) serves under the original's names and endpoints with its configuration; no
   * staging or set-aside cluster or member is left; the lock is free.
   */
  async function expectClusterSwapped(runId: string, before: ClusterConfig) {
    const e2e = current();
    const after = await expectSameCluster(e2e, runId, before);
    const run = (await e2e.store.getRun(runId))!;
    expect(after.dbClusterResourceId).toBe(run.resources.createdIds![run.names.staging!]);
    for (const m of after.members) {
      expect(m.dbiResourceId).toBe(run.resources.createdIds![derivedIdentifier(m.identifier, runId, 'new')]);
    }
    await expectNoClusterCopies(before);
    expect(await e2e.store.getLock('cluster', before.identifier)).toBeUndefined();
    return after;
  }

  return {
    calls,
    swapMutations,
    answering,
    expectDownOnlyForTheRenames,
    expectOnly,
    expectSwapped,
    expectNoClusterCopies,
    expectClusterSwapped,
  };
}
