/**
 * The DR world of the failover e2e test and bench: clients in both regions, an Aurora global database, a
 * PostgreSQL instance with a cross-region replica, an ElastiCache global datastore (all opted in), and a
 * client publishing FailoverRequested.
 */
import {
  CreateGlobalReplicationGroupCommand,
  CreateReplicationGroupCommand,
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateGlobalClusterCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { findInstance } from '@rewind/shared';
import type { E2E } from './harness';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Clients of both regions on the local cloud's endpoint. */
export function connectRegions(endpoint: string) {
  for (const region of ['us-east-1', 'us-west-2']) {
    rdsIn[region] = new RDSClient({ endpoint, region, credentials, maxAttempts: 8 });
    cacheIn[region] = new ElastiCacheClient({ endpoint, region, credentials });
  }
}

export function disconnectRegions() {
  for (const c of [...Object.values(rdsIn), ...Object.values(cacheIn)]) c.destroy();
}

/** A PostgreSQL primary in us-east-1 (backups on) with its replica `<name>-west` in us-west-2. */
export async function replicatedInstance(name: string) {
  await rdsIn['us-east-1']!.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: name,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.medium',
      AllocatedStorage: 20,
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      BackupRetentionPeriod: 7,
      Tags: OPT_IN,
    }),
  );
  await eventually(
    () => findInstance(rdsIn['us-east-1']!, name),
    (i) => i?.DBInstanceStatus === 'available',
  );
  await replica(`${name}-west`, 'us-west-2', name, 'us-east-1');
}

export const ACCOUNT = '000000000000';
export const rdsIn: Record<string, RDSClient> = {};
export const cacheIn: Record<string, ElastiCacheClient> = {};
export const OPT_IN = [{ Key: 'rewind:allow', Value: 'true' }];
export const clusterArn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:cluster:${id}`;
export const dbArn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:db:${id}`;

export async function eventually<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() - start > timeoutMs)
      throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const globalOf = async (id: string, region = 'us-east-1') =>
  (await rdsIn[region]!.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id })))
    .GlobalClusters![0]!;
export const writerOf = async (id: string) =>
  (await globalOf(id)).GlobalClusterMembers!.find((m) => m.IsWriter)?.DBClusterArn;
export const datastoreOf = async (id: string) =>
  (
    await cacheIn['us-east-1']!.send(
      new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id, ShowMemberInfo: true }),
    )
  ).GlobalReplicationGroups![0]!;
export const primaryGroupOf = async (id: string) =>
  (await datastoreOf(id)).Members!.find((m) => m.Role === 'PRIMARY')?.ReplicationGroupId;

/** A cluster with one available instance in `region`; a secondary of `global` when given. */
export async function cluster(region: string, id: string, global?: string) {
  const rds = rdsIn[region]!;
  await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      GlobalClusterIdentifier: global,
      Tags: OPT_IN,
      ...(global ? {} : { MasterUsername: 'app', MasterUserPassword: 'secret123' }),
    }),
  );
  await eventually(
    () => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
    (o) => o.DBClusters?.[0]?.Status === 'available',
  );
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: `${id}-1`,
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
    }),
  );
  await eventually(
    () => findInstance(rds, `${id}-1`),
    (i) => i?.DBInstanceStatus === 'available',
  );
}

/** A global database: primary `<name>-east`, secondary `<name>-west`. */
export async function globalDatabase(name: string) {
  await cluster('us-east-1', `${name}-east`);
  await rdsIn['us-east-1']!.send(
    new CreateGlobalClusterCommand({
      GlobalClusterIdentifier: name,
      SourceDBClusterIdentifier: clusterArn('us-east-1', `${name}-east`),
    }),
  );
  await eventually(
    () => globalOf(name),
    (g) => g.Status === 'available',
  );
  await cluster('us-west-2', `${name}-west`, name);
  await eventually(
    () => globalOf(name),
    (g) => g.GlobalClusterMembers?.every((m) => m.SynchronizationStatus === 'connected') ?? false,
  );
}

/** A cross-region read replica `id` in `region` of `source` (in `sourceRegion`), replicating. */
export async function replica(id: string, region: string, source: string, sourceRegion: string) {
  await rdsIn[region]!.send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: id,
      SourceDBInstanceIdentifier: dbArn(sourceRegion, source),
      Tags: OPT_IN,
    }),
  );
  await eventually(
    () => findInstance(rdsIn[region]!, id),
    (i) => i?.DBInstanceStatus === 'available',
    120_000,
  );
}

/** A global datastore: primary `<name>-east`, secondary `<name>-west`; its id. */
export async function globalDatastore(name: string): Promise<string> {
  const group = async (region: string, id: string, globalId?: string) => {
    await cacheIn[region]!.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: id,
        ReplicationGroupDescription: id,
        ...(globalId
          ? { GlobalReplicationGroupId: globalId }
          : { Engine: 'redis', CacheNodeType: 'cache.r7g.large' }),
        NumCacheClusters: 2,
        AutomaticFailoverEnabled: true,
      }),
    );
  };
  await group('us-east-1', `${name}-east`);
  await eventually(
    () =>
      cacheIn['us-east-1']!.send(
        new DescribeReplicationGroupsCommand({ ReplicationGroupId: `${name}-east` }),
      ),
    (o) => o.ReplicationGroups?.[0]?.Status === 'available',
  );
  const created = await cacheIn['us-east-1']!.send(
    new CreateGlobalReplicationGroupCommand({
      GlobalReplicationGroupIdSuffix: name,
      PrimaryReplicationGroupId: `${name}-east`,
    }),
  );
  const id = created.GlobalReplicationGroup!.GlobalReplicationGroupId!;
  await eventually(
    () => datastoreOf(id),
    (g) => g.Status === 'primary-only',
  );
  await group('us-west-2', `${name}-west`, id);
  await eventually(
    () => datastoreOf(id),
    (g) => g.Status === 'available',
  );
  return id;
}

let dr = 0;
/** Publishes a FailoverRequested as a client would; resolves with its answer and the run's terminal event. */
export async function request(e2e: E2E, detail: Record<string, unknown>) {
  const requestId = (detail.requestId as string | undefined) ?? `e2e-dr-${process.pid}-${++dr}`;
  // Only answers to this publication (a repeated requestId was answered before).
  const earlier = new Set(e2e.observer.events);
  const out = await e2e.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: e2e.cloud.names.busName,
          Source: 'ops.team',
          DetailType: 'FailoverRequested',
          Detail: JSON.stringify({ ...detail, requestId }),
        },
      ],
    }),
  );
  if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries)}`);
  const answer = await e2e.observer.waitFor(
    (e) =>
      !earlier.has(e) &&
      e.detail.requestId === requestId &&
      ['FailoverStarted', 'FailoverRejected'].includes(e['detail-type']),
  );
  if (answer['detail-type'] === 'FailoverRejected')
    return { answer, terminal: answer, runId: answer.detail.runId! };
  const runId = answer.detail.run!.id;
  const terminal = await e2e.observer.waitFor(
    (e) => ['FailoverCompleted', 'FailoverFailed'].includes(e['detail-type']) && e.detail.run?.id === runId,
    120_000,
  );
  return { answer, terminal, runId };
}
