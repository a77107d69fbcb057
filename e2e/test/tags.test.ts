import { ListTagsForResourceCommand, type RDSClient, type Tag } from '@aws-sdk/client-rds';
import { findCluster, findInstance } from '@rewind/shared';
import { createProductionCluster } from '../clusterHarness';
import { createProductionInstance, startE2E, type E2E } from '../harness';

/**
 * Rewind recognises what it created by the resource ids the run recorded, not by a tag left on the
 * customer's database: after a restore, the restored instance's, cluster's and every member's tags equal
 * the original's exactly, and the run recorded the id of each database it created.
 */
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

type Counts = { byIdentifier: Record<string, Record<string, number>> };

const sorted = (tags: Tag[] | undefined) =>
  (tags ?? []).map((t) => `${t.Key}=${t.Value}`).sort((a, b) => a.localeCompare(b));

async function tagsOf(rds: RDSClient, arn: string): Promise<string[]> {
  return sorted((await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList);
}

/** Name -> [resource id, ARN, tags] of an instance, or of a cluster and its members. */
async function described(rds: RDSClient, kind: 'instance' | 'cluster', name: string) {
  const out: Record<string, { id: string; arn: string; tags: string[] }> = {};
  const instance = async (n: string) => {
    const db = (await findInstance(rds, n))!;
    out[n] = { id: db.DbiResourceId!, arn: db.DBInstanceArn!, tags: await tagsOf(rds, db.DBInstanceArn!) };
  };
  if (kind === 'instance') {
    await instance(name);
    return out;
  }
  const c = (await findCluster(rds, name))!;
  out[name] = { id: c.DbClusterResourceId!, arn: c.DBClusterArn!, tags: await tagsOf(rds, c.DBClusterArn!) };
  for (const m of c.DBClusterMembers ?? []) await instance(m.DBInstanceIdentifier!);
  return out;
}

test.each([
  ['instance', 'tags-db'],
  ['cluster', 'tags-cl'],
] as const)(
  'after a restore of an %s, every restored database carries exactly the original tags',
  async (kind, identifier) => {
    if (kind === 'instance') await createProductionInstance(e2e.rds, identifier);
    else await createProductionCluster(e2e.rds, identifier);
    const before = await described(e2e.rds, kind, identifier);
    const { terminal, runId } = await e2e.request({
      identifier,
      task: 'create_snapshot',
      isCluster: kind === 'cluster',
    });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);

    const after = await described(e2e.rds, kind, identifier);
    const names = Object.keys(before).sort();
    expect(Object.keys(after).sort()).toEqual(names);
    expect(names.length).toBeGreaterThan(kind === 'cluster' ? 2 : 0);
    for (const name of names) {
      // the restored copy (a new resource id), with the original's tags, exactly
      expect([name, after[name]!.id === before[name]!.id]).toEqual([name, false]);
      expect([name, after[name]!.tags]).toEqual([name, before[name]!.tags]);
    }
    // the run recorded the id of every database it created
    const run = (await e2e.store.getRun(runId))!;
    expect(run.resources.createdIds).toEqual(
      Object.fromEntries(names.map((name) => [name, after[name]!.id])),
    );
    // the run's tag was put at creation and removed once, from each restored database
    const counts = await e2e.cloud.admin.get<Counts>('/_rewind/rds/calls');
    const tagCalls = (arn: string) =>
      Object.entries(counts.byIdentifier[arn] ?? {}).filter(([action]) => /^(Add|Remove)Tags/.test(action));
    for (const name of names) {
      expect([name, tagCalls(after[name]!.arn)]).toEqual([name, [['RemoveTagsFromResource', 1]]]);
    }
  },
  120_000,
);
