import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  exportInProgress,
  POLICY_FILE_ENV,
  policyFileFromEnv,
  policyTime,
  readPolicyFile,
  REWIND_TAGS,
  retentionInRegion,
  snapshotsInUse,
  SNAPSHOT_KINDS,
  type Kind,
  type PolicyConfig,
  type RetentionDecision,
  type SnapshotPolicy,
  type SnapshotView,
} from '@rewind/shared';
import type { Clients } from './context';
import { CliError } from './errors';

/**
 * The snapshots of a database and which policy keeps each (or why it goes at the next retention), in its
 * region and each region its policies copy to: what `rewind snapshots list` prints and the console's
 * databases page shows. The policies come from the policy file.
 */

/** The policy file named by `--config`, else by the environment: validated, every mistake listed. */
export function loadPolicyConfig(
  file: string | undefined,
  env: Record<string, string | undefined>,
): { config: PolicyConfig; file: string } {
  const path = file ?? policyFileFromEnv(env);
  if (!path) {
    throw new CliError(
      'no policy file given',
      `pass --config rewind.config.json or set ${POLICY_FILE_ENV} (example: rewind.config.example.json)`,
    );
  }
  try {
    return { config: readPolicyFile(path), file: path };
  } catch (err) {
    throw new CliError((err as Error).message, 'fix the file; every mistake is listed above');
  }
}

/** The tags of a database (what tag-selected policies match). */
export async function databaseTags(
  clients: Clients,
  identifier: string,
  kind: Kind,
): Promise<Record<string, string>> {
  const list =
    kind === 'cluster'
      ? (await clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })))
          .DBClusters?.[0]?.TagList
      : (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })))
          .DBInstances?.[0]?.TagList;
  return Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** The policies of a database: by identifier, or by a tag the database carries. */
export function policiesFor(
  config: PolicyConfig,
  identifier: string,
  kind: Kind,
  tags: Record<string, string>,
): SnapshotPolicy[] {
  return config.snapshotPolicies.filter(
    (p) =>
      p.kind === kind &&
      (p.databases.identifiers
        ? p.databases.identifiers.includes(identifier)
        : tags[p.databases.tag!.key] === p.databases.tag!.value),
  );
}

/** The policies of a database, its tags read from RDS only when a policy selects by tag. */
export async function policiesOf(
  clients: Clients,
  config: PolicyConfig,
  identifier: string,
  kind: Kind,
): Promise<SnapshotPolicy[]> {
  const byTag = config.snapshotPolicies.some((p) => p.kind === kind && p.databases.tag);
  return policiesFor(config, identifier, kind, byTag ? await databaseTags(clients, identifier, kind) : {});
}

export interface RegionView {
  region: string;
  snapshots: SnapshotView[];
  /** Per snapshot: the policy whose retention decides it in this region, and whether it goes. */
  decisions: Map<string, { policy: string; decision: RetentionDecision; deleted: boolean }>;
}

/** The database's snapshots and the policies' retention decisions, per region (home first), as of `asOf`. */
export async function regionsOf(
  clients: Clients,
  policies: SnapshotPolicy[],
  identifier: string,
  kind: Kind,
  asOf: Date,
  inUse?: ReadonlyMap<string, string>,
): Promise<RegionView[]> {
  const home = clients.target.region;
  const endpoint = clients.target.endpoint;
  const rdsIn = (region: string) =>
    region === home
      ? clients.rds
      : new RDSClient({
          ...(endpoint ? { endpoint } : {}),
          region,
          maxAttempts: 8,
          credentials: clients.rds.config.credentials,
        });
  const needed = inUse ?? (await snapshotsInUse(clients.store));
  const regions = [home, ...new Set(policies.flatMap((p) => p.copies.map((c) => c.region)))];
  const views: RegionView[] = [];
  for (const region of regions) {
    const rds = rdsIn(region);
    try {
      const view: RegionView = {
        region,
        snapshots: await SNAPSHOT_KINDS[kind].list(rds, identifier),
        decisions: new Map(),
      };
      for (const p of policies) {
        const retention =
          region === home ? p.retention : p.copies.find((c) => c.region === region)?.retention;
        if (!retention) continue;
        const { plan } = await retentionInRegion({
          rds,
          region,
          kind,
          policy: p.name,
          identifier,
          retention,
          asOf,
          inUse: region === home ? needed : undefined,
          exportOf: region === home && p.export !== undefined ? exportInProgress : undefined,
          copyTargets:
            region === home ? p.copies.map((c) => ({ region: c.region, rds: rdsIn(c.region) })) : [],
        });
        for (const d of plan.keep)
          view.decisions.set(d.snapshotIdentifier, { policy: p.name, decision: d, deleted: false });
        for (const d of plan.delete)
          view.decisions.set(d.snapshotIdentifier, { policy: p.name, decision: d, deleted: true });
      }
      views.push(view);
    } finally {
      if (rds !== clients.rds) rds.destroy();
    }
  }
  return views;
}

/** Why a snapshot stays or goes: `kept by <policy>: <reason>`, `expires (<policy>): <reason>`, or why Rewind never deletes it. */
export function verdict(s: SnapshotView, view: RegionView): string {
  const d = view.decisions.get(s.snapshotIdentifier);
  if (d)
    return d.deleted
      ? `expires (${d.policy}): ${d.decision.reason}`
      : `kept by ${d.policy}: ${d.decision.reason}`;
  if (s.type !== 'manual') return `${s.type}: RDS manages it; Rewind never deletes it`;
  if (s.tags[REWIND_TAGS.createdBy] === 'rewind')
    return s.tags['rewind:policy']
      ? `policy ${s.tags['rewind:policy']} (not in this file): never deleted from here`
      : "a run's snapshot: retention never deletes it";
  return 'not made by Rewind: never deleted by Rewind';
}

export interface SnapshotRow {
  region: string;
  s: SnapshotView;
  /** Milliseconds since the snapshot's policy time (its creation when it has none). */
  age: number;
  /** The policy whose retention decides it, if any. */
  policy: string | null;
  /** It goes at the next retention. */
  expires: boolean;
  verdict: string;
}

/** Every snapshot of the views, newest first per region, with its verdict. */
export function snapshotRows(views: RegionView[], asOf: Date): SnapshotRow[] {
  const now = asOf.getTime();
  return views.flatMap((v) =>
    [...v.snapshots]
      .sort((a, b) => (policyTime(b)?.getTime() ?? 0) - (policyTime(a)?.getTime() ?? 0))
      .map((s) => {
        const d = v.decisions.get(s.snapshotIdentifier);
        return {
          region: v.region,
          s,
          age: now - (policyTime(s)?.getTime() ?? now),
          policy: d?.policy ?? null,
          expires: d?.deleted ?? false,
          verdict: verdict(s, v),
        };
      }),
  );
}
