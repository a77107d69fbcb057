import { paginateDescribeDBClusters, paginateDescribeDBInstances, type Tag } from '@aws-sdk/client-rds';
import { ENV, type Kind, type LockRecord, type RunRecord } from '@rewind/shared';
import type { Clients } from '../context';
import type { ConsoleContext } from './context';
import { isActive, recentRuns } from '../runList';
import type { Html } from './html';

/** A database of the account and region, as the databases page shows it. */
export interface DatabaseRow {
  kind: Kind;
  identifier: string;
  status: string;
  engine: string;
  /** Cluster members, writer first. */
  members: string[];
  optedIn: boolean;
  tags: Record<string, string>;
  /** The run holding the database's lock, if any. */
  lock?: LockRecord;
  lastRun?: RunRecord;
  /** A name a run under way gave it: the original set aside (or a copy restored beside), not a database to act on. */
  inUseBy?: { run: RunRecord; as: string };
}

/**
 * What another capability shows of each database on the databases page (under its row): snapshots with the policy that keeps
 * each, a DR plan's readiness. `load` runs once per page for all rows (one batch of calls, not one per
 * database); `cell` renders a row's value, `summary` what belongs to no row (under the table). Register with `registerDatabaseFacet` where the capability
 * starts (its module's top level, imported by the console's server).
 */
export interface DatabaseFacet<T = unknown> {
  id: string;
  heading: string;
  load(ctx: ConsoleContext, rows: readonly DatabaseRow[]): Promise<T>;
  cell(row: DatabaseRow, loaded: T): Html | string;
  /** What the column cannot say per database (under the table), if anything. */
  summary?(loaded: T): Html | string | undefined;
}

const FACETS: DatabaseFacet[] = [];

export function registerDatabaseFacet<T>(facet: DatabaseFacet<T>): void {
  if (!FACETS.some((f) => f.id === facet.id)) FACETS.push(facet as DatabaseFacet);
}

export const databaseFacets = (): readonly DatabaseFacet[] => FACETS;

/** The opt-in tag, as the deployment is configured (the same variables as the services; default rewind:allow=true). */
export function optInTag(env: Record<string, string | undefined> = process.env) {
  return { key: env[ENV.optInTagKey] || 'rewind:allow', value: env[ENV.optInTagValue] || 'true' };
}

const tagsOf = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/**
 * Every instance and cluster (cluster members under their cluster), whether it opted in, who holds its
 * lock, and its most recent run among the last `runsToScan` runs.
 */
export async function listDatabases(
  clients: Clients,
  options: { runsToScan?: number } = {},
): Promise<DatabaseRow[]> {
  const tag = optInTag();
  const rows: DatabaseRow[] = [];
  for await (const page of paginateDescribeDBClusters({ client: clients.rds }, {})) {
    for (const c of page.DBClusters ?? []) {
      const members = [...(c.DBClusterMembers ?? [])]
        .sort((a, b) => Number(b.IsClusterWriter) - Number(a.IsClusterWriter))
        .map((m) => m.DBInstanceIdentifier!);
      const tags = tagsOf(c.TagList);
      rows.push({
        kind: 'cluster',
        identifier: c.DBClusterIdentifier!,
        status: c.Status ?? '?',
        engine: [c.Engine, c.EngineVersion].filter(Boolean).join(' '),
        members,
        optedIn: tags[tag.key] === tag.value,
        tags,
      });
    }
  }
  for await (const page of paginateDescribeDBInstances({ client: clients.rds }, {})) {
    for (const d of page.DBInstances ?? []) {
      if (d.DBClusterIdentifier) continue;
      const tags = tagsOf(d.TagList);
      rows.push({
        kind: 'instance',
        identifier: d.DBInstanceIdentifier!,
        status: d.DBInstanceStatus ?? '?',
        engine: [d.Engine, d.EngineVersion].filter(Boolean).join(' '),
        members: [],
        optedIn: tags[tag.key] === tag.value,
        tags,
      });
    }
  }
  const [locks, runs] = await Promise.all([
    Promise.all(rows.map((r) => clients.store.getLock(r.kind, r.identifier))),
    recentRuns(clients, { limit: options.runsToScan ?? 200 }),
  ]);
  const active = runs.filter(isActive);
  rows.forEach((r, i) => {
    r.lock = locks[i];
    r.lastRun = runs.find((run) => run.identifier === r.identifier && run.kind === r.kind);
    for (const run of active) {
      const as = Object.entries(run.names).find(
        ([key, name]) => name === r.identifier && key !== 'restoreFrom',
      )?.[0];
      if (as && run.identifier !== r.identifier)
        r.inUseBy = { run, as: as === 'temporary' ? 'the original, set aside' : as };
    }
  });
  return rows.sort(
    (a, b) => Number(b.optedIn) - Number(a.optedIn) || a.identifier.localeCompare(b.identifier),
  );
}
