import { ModifyDBClusterCommand, type DBCluster, type DBInstance } from '@aws-sdk/client-rds';
import {
  DELETE_BLOCKING_STATUSES,
  findCluster,
  findInstance,
  isAlreadyGoing,
  isRdsError,
  type PhaseOp,
  type ServiceContext,
} from '@rewind/shared';

/**
 * The operations of the cleanup step, on databases the run recorded. A look finds the database under
 * its name; one that is gone, or is not the database the run recorded (another resource id), counts as
 * deleted: nothing unrecorded is ever touched. A deletion waits out the statuses in which RDS refuses
 * it (`DELETE_BLOCKING_STATUSES`), and an answer "already gone / already being deleted" is an earlier
 * call of ours.
 */

/** A database as a look saw it. */
export interface Sighting {
  resourceId?: string;
  status: string;
  deletionProtection: boolean;
  copyTagsToSnapshot: boolean;
  db: DBInstance | DBCluster;
}

function sighting(
  db: DBInstance | DBCluster,
  resourceId: string | undefined,
  status: string | undefined,
): Sighting {
  return {
    resourceId,
    status: status ?? 'unknown',
    deletionProtection: db.DeletionProtection === true,
    copyTagsToSnapshot: db.CopyTagsToSnapshot === true,
    db,
  };
}

export async function sightInstance(ctx: ServiceContext, name: string): Promise<Sighting | undefined> {
  const db = await findInstance(ctx.rds, name);
  return db && sighting(db, db.DbiResourceId, db.DBInstanceStatus);
}

export async function sightCluster(ctx: ServiceContext, name: string): Promise<Sighting | undefined> {
  const c = await findCluster(ctx.rds, name);
  return c && sighting(c, c.DbClusterResourceId, c.Status);
}

/** A database the run recorded, and how to look at it. */
export interface Recorded {
  kind: 'instance' | 'cluster';
  name: string;
  /** The resource id (DbiResourceId / DbClusterResourceId) recorded at intake. */
  resourceId?: string;
  sight(): Promise<Sighting | undefined>;
  /** What `prepare` just saw: serves the first look (one describe call fewer). */
  first?: Sighting;
}

export function recorded(
  ctx: ServiceContext,
  kind: 'instance' | 'cluster',
  name: string,
  resourceId: string | undefined,
  first?: Sighting,
): Recorded {
  const sight = kind === 'instance' ? sightInstance : sightCluster;
  return { kind, name, resourceId, sight: () => sight(ctx, name), first };
}

/** One look at a recorded database: undefined when it is gone or is not the recorded one. */
function looker(target: Recorded): () => Promise<Sighting | undefined> {
  let first = target.first;
  return async () => {
    const seen = first ?? (await target.sight());
    first = undefined;
    return seen && seen.resourceId === target.resourceId ? seen : undefined;
  };
}

/**
 * Deletes a recorded database: `remove` makes the RDS call(s) for what the last look saw (lifting
 * deletion protection first, when it saw it on). `notFound`: the error code RDS answers for a name
 * that does not exist; `finalSnapshot`: the snapshot the deletion takes, if any.
 */
export function deletion(
  target: Recorded,
  label: string,
  call: { notFound: string; finalSnapshot?: string },
  remove: (seen: Sighting) => Promise<unknown>,
): PhaseOp {
  const look = looker(target);
  let seen: Sighting | undefined;
  return {
    kind: target.kind,
    name: target.name,
    label,
    look: async () => {
      seen = await look();
      if (!seen) return { state: 'done' };
      return DELETE_BLOCKING_STATUSES.has(seen.status)
        ? { state: 'busy', status: seen.status }
        : { state: 'todo' };
    },
    act: async () => {
      try {
        await remove(seen!);
      } catch (err) {
        if (isAlreadyGoing(err, call.notFound)) return;
        throw call.finalSnapshot ? explainRefusal(err, seen!) : err;
      }
    },
  };
}

/**
 * A deletion with a final snapshot of a database whose tags are copied to its snapshots: RDS authorises
 * the copy as `rds:AddTagsToResource` on the new snapshot (since August 2024). A refusal then says why.
 */
function explainRefusal(err: unknown, seen: Sighting): unknown {
  if (!seen.copyTagsToSnapshot || !isRdsError(err, 'AccessDenied') || !(err instanceof Error)) return err;
  err.message +=
    ' (CopyTagsToSnapshot is on: the final snapshot gets the database tags, which RDS authorises as ' +
    'rds:AddTagsToResource on the snapshot; the cleanup role needs it on Rewind final snapshots)';
  return err;
}

/** Lifts the deletion protection of a recorded cluster (once it is available). */
export function liftClusterProtection(ctx: ServiceContext, target: Recorded): PhaseOp {
  const look = looker(target);
  return {
    kind: 'cluster',
    name: target.name,
    label: `lift deletion protection of the set-aside cluster ${target.name}`,
    look: async () => {
      const c = await look();
      if (!c?.deletionProtection) return { state: 'done' };
      return c.status === 'available' ? { state: 'todo' } : { state: 'busy', status: c.status };
    },
    act: async () => {
      await ctx.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: target.name,
          DeletionProtection: false,
          ApplyImmediately: true,
        }),
      );
    },
  };
}
