import type { DBInstance, Tag } from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  captureInstanceConfig,
  diffClusterConfig,
  diffInstanceConfig,
  findCluster,
  findInstance,
  formatDifferences,
  SERVING_INSTANCE_STATUSES,
  type ClusterConfig,
  type ConfigDifference,
  type InstanceConfig,
  type Probe,
  type ServiceContext,
} from '@rewind/shared';
import type { Placement } from './restoreOps';

/**
 * Verification of a restored database before anything is deleted: the captured configuration (engine,
 * version, encryption and KMS key, managed master password, every setting), the endpoints, and the tags,
 * which must equal the original's exactly (nothing Rewind put on it left behind).
 */

type Tags = { Key: string; Value: string }[];

/** The tags a database carries that anyone can set (AWS's own `aws:` tags aside), sorted. */
function settableTags(tags: Tag[] | undefined): Tags {
  return (tags ?? [])
    .filter((t) => t.Key && !t.Key.startsWith('aws:'))
    .map((t) => ({ Key: t.Key!, Value: t.Value ?? '' }))
    .sort((a, b) => a.Key.localeCompare(b.Key));
}

/** A difference when a database's tag list is not exactly the original's. */
export function tagDifference(name: string, expected: Tags, actual: Tag[] | undefined): ConfigDifference[] {
  const want = [...expected].sort((a, b) => a.Key.localeCompare(b.Key));
  const got = settableTags(actual);
  return JSON.stringify(want) === JSON.stringify(got)
    ? []
    : [{ field: `${name} tags`, expected: want, actual: got }];
}

const mismatch = (noun: string, differences: ConfigDifference[]): Probe => ({
  state: 'failed',
  reason: `restored ${noun} differs from the original: ${formatDifferences(differences)}`,
  errorCode: 'ConfigurationMismatch',
});

const missing = (noun: string, name: string): Probe => ({
  state: 'failed',
  reason: `restored ${noun} ${name} disappeared`,
  errorCode: 'Missing',
});

async function verifyInstance(ctx: ServiceContext, p: Placement): Promise<Probe> {
  const config = p.config as InstanceConfig;
  const db = await findInstance(ctx.rds, p.name);
  if (!db) return missing('instance', p.name);
  const status = db.DBInstanceStatus ?? 'unknown';
  if (!SERVING_INSTANCE_STATUSES.has(status)) return { state: 'waiting', status };
  const differences = [
    ...diffInstanceConfig(config, captureInstanceConfig(db)),
    ...tagDifference(p.name, config.tags, db.TagList),
  ];
  if (differences.length) return mismatch('instance', differences);
  if (p.sameEndpoints && config.endpointAddress && db.Endpoint?.Address !== config.endpointAddress) {
    return {
      state: 'failed',
      reason: `restored endpoint ${db.Endpoint?.Address} differs from the original ${config.endpointAddress}`,
      errorCode: 'EndpointMismatch',
    };
  }
  return { state: 'done', data: { address: db.Endpoint?.Address ?? '', port: db.Endpoint?.Port ?? 0 } };
}

const endpoints = (cfg: ClusterConfig) => [
  cfg.endpointAddress,
  cfg.readerEndpointAddress,
  ...cfg.members.map((m) => `${m.identifier}=${m.endpointAddress}`).sort(),
];

async function verifyCluster(ctx: ServiceContext, p: Placement): Promise<Probe> {
  const config = p.config as ClusterConfig;
  const c = await findCluster(ctx.rds, p.name);
  if (!c) return missing('cluster', p.name);
  const members: DBInstance[] = [];
  for (const m of c.DBClusterMembers ?? []) {
    const db = await findInstance(ctx.rds, m.DBInstanceIdentifier!);
    if (db) members.push(db);
  }
  const restored = captureClusterConfig(c, members);
  const differences = [
    ...diffClusterConfig(config, restored),
    ...tagDifference(p.name, config.tags, c.TagList),
    ...config.members.flatMap((m) => {
      const db = members.find((d) => d.DBInstanceIdentifier === m.identifier);
      return db ? tagDifference(m.identifier, m.tags, db.TagList) : [];
    }),
  ];
  if (p.sameEndpoints && JSON.stringify(endpoints(restored)) !== JSON.stringify(endpoints(config))) {
    differences.push({ field: 'endpoints', expected: endpoints(config), actual: endpoints(restored) });
  }
  if (differences.length) return mismatch('cluster', differences);
  return { state: 'done', data: { address: c.Endpoint ?? '', port: c.Port ?? 0 } };
}

/**
 * Every phase done: the restored database must match the original before the set-aside one may go (in
 * place), or before the renames begin (beside: every setting and tag, its endpoints aside, which follow
 * its staging names until it takes the original's).
 */
export function verifyRestored(ctx: ServiceContext, p: Placement): Promise<Probe> {
  return 'members' in p.config ? verifyCluster(ctx, p) : verifyInstance(ctx, p);
}
