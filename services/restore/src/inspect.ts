import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type DBCluster,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  captureClusterConfig,
  captureInstanceConfig,
  findCluster,
  findClusterSnapshot,
  findInstance,
  findSnapshot,
  isTrapheusSnapshot,
  traceRunTag,
  trapheusSnapshotIdentifier,
  type CapturedConfig,
  type EventDetail,
  type Kind,
  type ServiceContext,
} from '@rewind/shared';
import { checkOptedIn } from './optIn';
import { Rejection } from './rejection';
import { rejectClusterWithReplicas, rejectInstanceWithReplicas } from './replicas';

type Request = EventDetail<'RestoreRequested'>;

/**
 * What intake learns of the database before a run, one inspection per kind: it exists (else a hint when
 * it is the other kind), it and every part of it opted in and available, it replicates nothing and from
 * nothing; its configuration (and every member's) captured; and how its snapshots are found.
 */

interface Snapshot {
  id: string;
  status?: string;
  created?: Date;
}

interface KindInspection {
  /** "DB instance" / "Aurora cluster", for messages. */
  noun: string;
  /** "snapshot" / "cluster snapshot", for messages. */
  snapshotNoun: string;
  /** The request's flag that names this kind. */
  flag: string;
  exists(ctx: ServiceContext, id: string): Promise<boolean>;
  /** The checks; the captured configuration, or a Rejection. `clone`: replicas do not matter (nothing changes). */
  capture(ctx: ServiceContext, id: string, clone: boolean): Promise<CapturedConfig | undefined>;
  findSnapshot(ctx: ServiceContext, name: string): Promise<Snapshot | undefined>;
  manualSnapshots(ctx: ServiceContext, id: string): Promise<Snapshot[]>;
}

function notAvailable(what: string, status: string | undefined, retry: string): Rejection {
  return new Rejection(
    'not-available',
    `${what} is ${status}; Rewind starts only ${retry}. Retry when it is available`,
  );
}

async function captureInstance(
  ctx: ServiceContext,
  id: string,
  clone: boolean,
): Promise<CapturedConfig | undefined> {
  const db = await findInstance(ctx.rds, id);
  if (!db) return undefined;
  checkOptedIn(
    [{ what: `DB instance ${id}`, identifier: id, arn: db.DBInstanceArn, tags: db.TagList }],
    ctx.config.optIn,
    id,
  );
  if (db.DBClusterIdentifier) {
    throw new Rejection(
      'invalid-input',
      `${id} is a member of Aurora cluster ${db.DBClusterIdentifier}; restore the cluster instead ({"identifier": "${db.DBClusterIdentifier}", "isCluster": true})`,
    );
  }
  if (db.DBInstanceStatus !== 'available')
    throw notAvailable(id, db.DBInstanceStatus, 'on an available database');
  if (clone) return captureInstanceConfig(db);
  if (db.ReadReplicaSourceDBInstanceIdentifier) {
    throw new Rejection(
      'unsupported',
      `${id} is a read replica of ${db.ReadReplicaSourceDBInstanceIdentifier}; restoring a replica in place would detach it`,
    );
  }
  rejectInstanceWithReplicas(db, id);
  return captureInstanceConfig(db);
}

async function availableMembers(ctx: ServiceContext, cluster: DBCluster, id: string): Promise<DBInstance[]> {
  const members: DBInstance[] = [];
  for (const m of cluster.DBClusterMembers ?? []) {
    const db = await findInstance(ctx.rds, m.DBInstanceIdentifier!);
    if (!db) {
      throw new Rejection(
        'not-available',
        `member ${m.DBInstanceIdentifier} of ${id} is not found; retry later`,
      );
    }
    if (db.DBInstanceStatus !== 'available') {
      throw new Rejection(
        'not-available',
        `member ${m.DBInstanceIdentifier} of ${id} is ${db.DBInstanceStatus}; Rewind starts only when every member is available`,
      );
    }
    members.push(db);
  }
  return members;
}

async function captureCluster(
  ctx: ServiceContext,
  id: string,
  clone: boolean,
): Promise<CapturedConfig | undefined> {
  const cluster = await findCluster(ctx.rds, id);
  if (!cluster) return undefined;
  checkOptedIn(
    [{ what: `cluster ${id}`, identifier: id, arn: cluster.DBClusterArn, tags: cluster.TagList }],
    ctx.config.optIn,
    id,
  );
  if (cluster.Status !== 'available') throw notAvailable(id, cluster.Status, 'on an available cluster');
  if (cluster.ReplicationSourceIdentifier && !clone) {
    throw new Rejection(
      'unsupported',
      `${id} replicates from ${cluster.ReplicationSourceIdentifier}; restoring it in place would detach it`,
    );
  }
  if (!clone) rejectClusterWithReplicas(cluster, id);
  const members = await availableMembers(ctx, cluster, id);
  // Each member is renamed and deleted under its own tags: every one must opt in too.
  checkOptedIn(
    members.map((m) => ({
      what: `member ${m.DBInstanceIdentifier}`,
      identifier: m.DBInstanceIdentifier!,
      arn: m.DBInstanceArn,
      tags: m.TagList,
    })),
    ctx.config.optIn,
    id,
  );
  return captureClusterConfig(cluster, members);
}

const INSPECTIONS: Record<Kind, KindInspection> = {
  instance: {
    noun: 'DB instance',
    snapshotNoun: 'snapshot',
    flag: '"isCluster": false',
    exists: async (ctx, id) => (await findInstance(ctx.rds, id).catch(() => undefined)) !== undefined,
    capture: captureInstance,
    findSnapshot: async (ctx, name) => {
      const s = await findSnapshot(ctx.rds, name);
      return s && { id: s.DBSnapshotIdentifier ?? name, status: s.Status, created: s.SnapshotCreateTime };
    },
    manualSnapshots: async (ctx, id) => {
      const out = await ctx.rds.send(
        new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id, SnapshotType: 'manual' }),
      );
      return (out.DBSnapshots ?? []).map((s) => ({
        id: s.DBSnapshotIdentifier ?? '',
        status: s.Status,
        created: s.SnapshotCreateTime,
      }));
    },
  },
  cluster: {
    noun: 'Aurora cluster',
    snapshotNoun: 'cluster snapshot',
    flag: '"isCluster": true',
    exists: async (ctx, id) => (await findCluster(ctx.rds, id)) !== undefined,
    capture: captureCluster,
    findSnapshot: async (ctx, name) => {
      const s = await findClusterSnapshot(ctx.rds, name);
      return (
        s && { id: s.DBClusterSnapshotIdentifier ?? name, status: s.Status, created: s.SnapshotCreateTime }
      );
    },
    manualSnapshots: async (ctx, id) => {
      const out = await ctx.rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: id, SnapshotType: 'manual' }),
      );
      return (out.DBClusterSnapshots ?? []).map((s) => ({
        id: s.DBClusterSnapshotIdentifier ?? '',
        status: s.Status,
        created: s.SnapshotCreateTime,
      }));
    },
  },
};

/**
 * The database's captured configuration, after every check; a Rejection saying what to fix otherwise.
 * `clone`: the source of a clone, which is only read (its replicas do not matter).
 */
export async function inspect(
  ctx: ServiceContext,
  kind: Kind,
  id: string,
  clone = false,
): Promise<CapturedConfig> {
  const k = INSPECTIONS[kind];
  const config = await k.capture(ctx, id, clone);
  if (config) return config;
  const other = INSPECTIONS[kind === 'instance' ? 'cluster' : 'instance'];
  const hint = (await other.exists(ctx, id))
    ? `; ${id} is ${other.noun === 'Aurora cluster' ? 'an Aurora cluster' : 'a DB instance'}: send ${other.flag}`
    : '; check the identifier and the region';
  throw new Rejection('unknown-database', `no ${k.noun} named ${id} in this account and region${hint}`);
}

/** db_restore: the given snapshot, else the newest Rewind snapshot, else Trapheus's `<identifier>-snapshot`. */
export async function resolveSnapshot(ctx: ServiceContext, kind: Kind, req: Request): Promise<string> {
  const k = INSPECTIONS[kind];
  if (req.snapshotIdentifier) {
    const snap = await k.findSnapshot(ctx, req.snapshotIdentifier);
    if (!snap) {
      throw new Rejection(
        'snapshot-not-found',
        `${k.snapshotNoun} ${req.snapshotIdentifier} does not exist in this account and region; check the name (rewind snapshots are named <identifier>-rw<tag>-snapshot-<time>)`,
      );
    }
    if (snap.status !== 'available') {
      throw new Rejection(
        'not-available',
        `${k.snapshotNoun} ${req.snapshotIdentifier} is ${snap.status}; retry when it is available`,
      );
    }
    return req.snapshotIdentifier;
  }
  const available = (await k.manualSnapshots(ctx, req.identifier)).filter((s) => s.status === 'available');
  const newest = (list: Snapshot[]) =>
    [...list].sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))[0];
  // A clone takes the newest snapshot of the source, whoever took it.
  if (req.task === 'clone') {
    const latest = newest(available);
    if (latest) return latest.id;
    throw new Rejection(
      'snapshot-not-found',
      `no available ${k.snapshotNoun} of ${req.identifier} to clone from; pass "snapshotIdentifier", or "restoreTime" ("latest" clones its current data from its automated backups)`,
    );
  }
  const ours = newest(available.filter((s) => traceRunTag(s.id)?.role === 'snapshot'));
  if (ours) return ours.id;
  const legacy = available.find((s) => isTrapheusSnapshot(s.id, req.identifier));
  if (legacy) return legacy.id;
  const named = await k.findSnapshot(ctx, trapheusSnapshotIdentifier(req.identifier));
  if (named?.status === 'available') return named.id;
  throw new Rejection(
    'snapshot-not-found',
    `no ${k.snapshotNoun} to restore ${req.identifier} from: no available Rewind snapshot of it and no ${trapheusSnapshotIdentifier(req.identifier)}; ` +
      `pass "snapshotIdentifier", or run the create_snapshot task`,
  );
}
