import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import {
  derivedIdentifier,
  diffClusterConfig,
  findCluster,
  findInstance,
  formatDifferences,
  type ClusterConfig,
} from '@rewind/shared';
import { describeCluster } from '@rewind/local';
import type { E2E } from './harness';

/**
 * Cluster helpers for the end-to-end tests: the production-like Aurora sample cluster (writer and two
 * readers, each with its own settings: `createSampleCluster` in local/src/samples.ts), its captured
 * configuration, and what every run must leave behind.
 */

export { createSampleCluster as createProductionCluster, describeCluster } from '@rewind/local';

const endpointsOf = (c: ClusterConfig) => ({
  writer: c.endpointAddress,
  reader: c.readerEndpointAddress,
  members: Object.fromEntries(c.members.map((m) => [m.identifier, m.endpointAddress])),
  writerMember: c.members.find((m) => m.writer)?.identifier,
});

/** After a completed restore: same names, writer, endpoints and configuration; a restored copy; nothing set aside left. */
export async function expectSameCluster(
  e2e: E2E,
  runId: string,
  before: ClusterConfig,
): Promise<ClusterConfig> {
  const after = await describeCluster(e2e.rds, before.identifier);
  expect(after).toBeDefined();
  const differences = diffClusterConfig(before, after!);
  if (differences.length)
    console.log(`configuration differences for ${before.identifier}: ${formatDifferences(differences)}`);
  expect(differences).toEqual([]);
  expect(endpointsOf(after!)).toEqual(endpointsOf(before));
  expect(after!.dbClusterResourceId).not.toBe(before.dbClusterResourceId); // the restored copy
  await expectNothingSetAside(e2e, runId, before);
  return after!;
}

/** The set-aside cluster and members of the run are gone. */
export async function expectNothingSetAside(e2e: E2E, runId: string, before: ClusterConfig) {
  const temp = derivedIdentifier(before.identifier, runId, 'old');
  expect(await findCluster(e2e.rds, temp)).toBeUndefined();
  for (const m of before.members) {
    expect(await findInstance(e2e.rds, derivedIdentifier(m.identifier, runId, 'old'))).toBeUndefined();
  }
}

/** After a failed run: the original cluster and all members available under their names, nothing else left, lock free. */
export async function expectClusterIntact(e2e: E2E, original: ClusterConfig) {
  const id = original.identifier;
  const c = await findCluster(e2e.rds, id);
  expect({ status: c?.Status, resource: c?.DbClusterResourceId }).toEqual({
    status: 'available',
    resource: original.dbClusterResourceId,
  });
  const now = await describeCluster(e2e.rds, id);
  expect(endpointsOf(now!)).toEqual(endpointsOf(original));
  for (const m of original.members) {
    const db = await findInstance(e2e.rds, m.identifier);
    expect([m.identifier, db?.DBInstanceStatus, db?.DbiResourceId, db?.DBClusterIdentifier]).toEqual([
      m.identifier,
      'available',
      m.dbiResourceId,
      id,
    ]);
  }
  const clusters = await e2e.rds.send(new DescribeDBClustersCommand({}));
  expect(
    (clusters.DBClusters ?? []).map((x) => x.DBClusterIdentifier).filter((x) => x?.startsWith(id)),
  ).toEqual([id]);
  const instances = await e2e.rds.send(new DescribeDBInstancesCommand({}));
  const related = (instances.DBInstances ?? [])
    .map((d) => d.DBInstanceIdentifier!)
    .filter((x) => x.startsWith(id));
  expect(related.sort()).toEqual(original.members.map((m) => m.identifier).sort());
  expect(await e2e.store.getLock('cluster', id)).toBeUndefined();
}

/**
 * The run's events in order as another system on the bus saw them, each logical event once: the outbox
 * publishes at least once (a message handled while the writer is still publishing flushes the same
 * outbox again), so an identical copy (same type, same detail) is a redelivery, not a second step.
 */
export function choreography(e2e: E2E, runId: string): string[] {
  const seen = new Set<string>();
  return e2e.observer
    .ofRun(runId)
    .filter((e) => {
      const key = `${e['detail-type']} ${JSON.stringify(e.detail)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((e) => e['detail-type']);
}
