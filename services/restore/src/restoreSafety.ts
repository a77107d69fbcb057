import type { CapturedConfig, EventDetail, Kind, ServiceContext } from '@rewind/shared';
import { assessSnapshot, type Compatibility } from './snapshotCompatibility';

type Request = EventDetail<'RestoreRequested'>;

/**
 * What intake checks and announces before a run that restores: the snapshot (db_restore: rejected when
 * it would change what the database is), and what a restore changes anyway (a managed master password
 * gets a new secret). Returns the configuration the restored database must match and the warnings for
 * RunStarted and the completion alert; undefined for a run that restores nothing.
 */
export async function assessRestore(
  ctx: ServiceContext,
  req: Request,
  kind: Kind,
  config: CapturedConfig,
  restoreFrom: string | undefined,
): Promise<(Partial<Compatibility> & { config: CapturedConfig; warnings: string[] }) | undefined> {
  if (req.task === 'create_snapshot_only') return undefined;
  // A chosen snapshot (db_restore, clone) is assessed; a point in time is the database's own past.
  const snapshot =
    (req.task === 'db_restore' || req.task === 'clone') && restoreFrom
      ? await assessSnapshot(ctx, req, kind, config, restoreFrom)
      : undefined;
  return {
    config: snapshot?.config ?? config,
    snapshotSource: snapshot?.snapshotSource,
    warnings: [
      ...(snapshot?.warnings ?? []),
      ...managedSecretWarnings(kind, config, req.task === 'clone' ? req.targetIdentifier : undefined),
    ],
  };
}

/**
 * A master password managed in Secrets Manager cannot follow a restore: the restore calls take no
 * secret (RestoreDBInstanceFromDBSnapshot manages it for Oracle only, RestoreDBClusterFromSnapshot not at
 * all), and the original's secret belongs to the original, which cleanup deletes. Rewind turns management
 * on again after the restore: RDS then creates a new secret with a new password.
 */
export function managedSecretWarnings(kind: Kind, config: CapturedConfig, cloneTo?: string): string[] {
  const c = config;
  if (!c.manageMasterUserPassword) return [];
  const describe = (id: string) =>
    kind === 'instance'
      ? `aws rds describe-db-instances --db-instance-identifier ${id} --query 'DBInstances[0].MasterUserSecret.SecretArn'`
      : `aws rds describe-db-clusters --db-cluster-identifier ${id} --query 'DBClusters[0].MasterUserSecret.SecretArn'`;
  if (cloneTo) {
    // A clone: the source keeps its secret; the clone's password is managed in a secret of its own.
    return [
      `${c.identifier}'s master password is managed in Secrets Manager: the clone ${cloneTo} gets a secret of its own with a new password (${describe(cloneTo)}); ${c.identifier} keeps its secret`,
    ];
  }
  return [
    `${c.identifier}'s master password is managed in Secrets Manager (${c.masterUserSecretArn ?? 'secret'}): that secret goes with the set-aside original. ` +
      `The restored database gets a new secret with a new password; point what reads the old secret at the new one (${describe(c.identifier)})`,
  ];
}
