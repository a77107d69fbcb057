import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import {
  FAILED_CLUSTER_STATUSES,
  FAILED_INSTANCE_STATUSES,
  findCluster,
  findInstance,
  isAlreadyGoing,
  type Kind,
  type ServiceContext,
} from '@rewind/shared';

/**
 * An instance or a cluster as the restore and discard steps see it: what identifies it (its resource id,
 * not its name), its status, its tags, and the calls that change it. The kind only picks the calls.
 */
export interface Database {
  name: string;
  resourceId?: string;
  arn?: string;
  status: string;
  tags: Tag[];
  deletionProtection: boolean;
  /** The cluster an instance belongs to. */
  cluster?: string;
}

export interface DatabaseApi {
  kind: Kind;
  noun: 'instance' | 'cluster';
  /** Statuses from which it never becomes available by itself. */
  failedStatuses: ReadonlySet<string>;
  /** The error code of a call refused because another operation is under way: try again later. */
  busyError: string;
  /** The error code of a create or restore call for a name that exists. */
  alreadyExists: string;
  find(ctx: ServiceContext, name: string): Promise<Database | undefined>;
  unprotect(ctx: ServiceContext, name: string): Promise<unknown>;
  /** Deletes it without a final snapshot; one already gone or being deleted counts as done. */
  remove(ctx: ServiceContext, name: string): Promise<void>;
  /** The AWS CLI commands a person runs to delete it, and to rename it. */
  deleteCommand(name: string): string;
  renameCommand(from: string, to: string): string;
}

export const INSTANCE: DatabaseApi = {
  kind: 'instance',
  noun: 'instance',
  failedStatuses: FAILED_INSTANCE_STATUSES,
  busyError: 'InvalidDBInstanceState',
  alreadyExists: 'DBInstanceAlreadyExists',
  find: async (ctx, name) => {
    const db = await findInstance(ctx.rds, name);
    return (
      db && {
        name,
        resourceId: db.DbiResourceId,
        arn: db.DBInstanceArn,
        status: db.DBInstanceStatus ?? 'unknown',
        tags: db.TagList ?? [],
        deletionProtection: db.DeletionProtection === true,
        cluster: db.DBClusterIdentifier,
      }
    );
  },
  unprotect: (ctx, name) =>
    ctx.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: name,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    ),
  remove: async (ctx, name) => {
    try {
      await ctx.rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: name,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
    } catch (err) {
      if (!isAlreadyGoing(err, 'DBInstanceNotFound')) throw err;
    }
  },
  deleteCommand: (name) =>
    `aws rds delete-db-instance --db-instance-identifier ${name} --skip-final-snapshot`,
  renameCommand: (from, to) =>
    `aws rds modify-db-instance --db-instance-identifier ${from} --new-db-instance-identifier ${to} --apply-immediately`,
};

export const CLUSTER: DatabaseApi = {
  kind: 'cluster',
  noun: 'cluster',
  failedStatuses: FAILED_CLUSTER_STATUSES,
  busyError: 'InvalidDBClusterStateFault',
  alreadyExists: 'DBClusterAlreadyExistsFault',
  find: async (ctx, name) => {
    const c = await findCluster(ctx.rds, name);
    return (
      c && {
        name,
        resourceId: c.DbClusterResourceId,
        arn: c.DBClusterArn,
        status: c.Status ?? 'unknown',
        tags: c.TagList ?? [],
        deletionProtection: c.DeletionProtection === true,
      }
    );
  },
  unprotect: (ctx, name) =>
    ctx.rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: name,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    ),
  remove: async (ctx, name) => {
    try {
      await ctx.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: name, SkipFinalSnapshot: true }));
    } catch (err) {
      if (!isAlreadyGoing(err, 'DBClusterNotFoundFault')) throw err;
    }
  },
  deleteCommand: (name) => `aws rds delete-db-cluster --db-cluster-identifier ${name} --skip-final-snapshot`,
  renameCommand: (from, to) =>
    `aws rds modify-db-cluster --db-cluster-identifier ${from} --new-db-cluster-identifier ${to} --apply-immediately`,
};

export const DATABASES: Record<Kind, DatabaseApi> = { instance: INSTANCE, cluster: CLUSTER };

/** Removes tags (by key) from a database. */
export async function removeTags(ctx: ServiceContext, db: Database, keys: string[]): Promise<void> {
  if (!db.arn) throw new Error(`${db.name} was described without its ARN; its tags cannot be changed`);
  await ctx.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: db.arn, TagKeys: keys }));
}
