import {
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  deleteInstance,
  describeError,
  errorName,
  finalSnapshotIdentifier,
  findCluster,
  findInstance,
  isAlreadyGoing,
  isPermanentRdsError,
  isRdsError,
  isRetryable,
  REWIND_TAGS,
  type Kind,
  type ReplicationDestination,
} from '@rewind/shared';
import {
  destinationStore,
  jobsOf,
  versionNumber,
  type DestinationJob,
  type VersionRecord,
} from './destinationJobs';
import { fail, type Look } from './destinationLook';

/**
 * The versioned mode of a destination: each replication restores a new database `<prefix>-<n+1>` (a
 * clone of the newest version, or of the template the first time), points a Secrets Manager secret at
 * it, then deletes the versions beyond `keep`. Only versions this service recorded are ever deleted, and
 * only while RDS still shows the resource id recorded when they were created (a name is not an identity).
 */

export type Versioned = Extract<ReplicationDestination, { mode: 'versioned' }>;

/** Every database name of the kind in the region (instances: not cluster members). */
async function databaseNames(rds: RDSClient, kind: Kind): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    if (kind === 'cluster') {
      const out = await rds.send(new DescribeDBClustersCommand({ Marker }));
      names.push(...(out.DBClusters ?? []).map((c) => c.DBClusterIdentifier!));
      Marker = out.Marker;
    } else {
      const out = await rds.send(new DescribeDBInstancesCommand({ Marker }));
      names.push(
        ...(out.DBInstances ?? []).filter((i) => !i.DBClusterIdentifier).map((i) => i.DBInstanceIdentifier!),
      );
      Marker = out.Marker;
    }
  } while (Marker);
  return names;
}

interface Seen {
  resourceId?: string;
  status: string;
  deletionProtection: boolean;
  members: string[];
}

async function describe(rds: RDSClient, kind: Kind, identifier: string): Promise<Seen | undefined> {
  if (kind === 'cluster') {
    const c = await findCluster(rds, identifier);
    return (
      c && {
        resourceId: c.DbClusterResourceId,
        status: c.Status ?? 'unknown',
        deletionProtection: c.DeletionProtection === true,
        members: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier!),
      }
    );
  }
  const i = await findInstance(rds, identifier);
  return (
    i && {
      resourceId: i.DbiResourceId,
      status: i.DBInstanceStatus ?? 'unknown',
      deletionProtection: i.DeletionProtection === true,
      members: [],
    }
  );
}

/**
 * The database the next version is cloned from: the newest recorded version still in place (same resource
 * id, not being deleted), else the template; undefined when there is neither.
 */
export async function cloneSource(
  l: Look,
  d: Versioned,
): Promise<{ identifier: string; version: boolean } | undefined> {
  const { deps, job, ctx } = l;
  const rds = deps.rdsIn(job.region);
  const item = await destinationStore(deps).versions(job.policy, ctx.now());
  for (const v of [...item.versions].sort((a, b) => b.number - a.number)) {
    const seen = await describe(rds, job.kind, v.identifier);
    if (seen && seen.resourceId === v.resourceId && seen.status !== 'deleting')
      return { identifier: v.identifier, version: true };
  }
  return d.template ? { identifier: d.template, version: false } : undefined;
}

/** Why a versioned destination cannot make its first version, and the fix. */
export function noCloneSource(job: DestinationJob, d: Versioned): { reason: string; action: string } {
  return {
    reason: `policy ${job.policy} restores versions ${d.prefix}-<n> in account ${job.destination.account}, but no version it created exists and it names no template to take the first one's configuration from`,
    action: `add "template": "<a ${job.kind} of this account, tagged with the opt-in tag>" to destination ${job.destination.account} of policy ${job.policy}, redeploy, and run the replication again (rewind replicate)`,
  };
}

/**
 * The clone this replication asks for: from the newest recorded version still in place (same resource
 * id), else from the template; named one above the highest version number in use or recorded. No
 * version and no template: the replication fails with the fix.
 */
export async function planVersion(
  l: Look,
  d: Versioned,
): Promise<{ identifier: string; targetIdentifier: string; versionNumber: number } | undefined> {
  const { deps, job, ctx } = l;
  const rds = deps.rdsIn(job.region);
  const item = await destinationStore(deps).versions(job.policy, ctx.now());
  const numbers = [
    ...item.versions.map((v) => v.number),
    ...(await databaseNames(rds, job.kind)).map((n) => versionNumber(d.prefix, n) ?? 0),
  ];
  const n = Math.max(0, ...numbers);
  const from = await cloneSource(l, d);
  if (!from) {
    const { reason, action } = noCloneSource(job, d);
    await fail(l, 'restore', reason, action);
    return undefined;
  }
  return { identifier: from.identifier, targetIdentifier: `${d.prefix}-${n + 1}`, versionNumber: n + 1 };
}

/** Records the new version with its resource id (once, right after its run completed). */
export async function recordVersion(l: Look): Promise<void> {
  const { deps, job, ctx } = l;
  const store = destinationStore(deps);
  const item = await store.versions(job.policy, ctx.now());
  const identifier = job.restore!.targetIdentifier!;
  if (item.versions.some((v) => v.identifier === identifier && v.resourceId === job.result!.resourceId))
    return;
  const record: VersionRecord = {
    identifier,
    number:
      job.restore!.versionNumber ?? versionNumber((job.destination as Versioned).prefix, identifier) ?? 0,
    resourceId: job.result!.resourceId,
    replicationId: job.replicationId,
    createdAt: ctx.now().toISOString(),
  };
  await store.setVersions(item, [...item.versions.filter((v) => v.identifier !== identifier), record]);
}

/** A Secrets Manager error that will be answered again (not throttling, not a 5xx). */
function isPermanentSecretsError(err: unknown): boolean {
  if (isRetryable(err)) return false;
  const e = err as { $fault?: string } | undefined;
  return e?.$fault === 'client';
}

/**
 * Points the secret's endpoint field at the new version (and `port`): a JSON secret is updated, an
 * absent one (named, not an ARN) created. True when done; false when the replication failed.
 */
export async function updateSecret(l: Look): Promise<boolean> {
  const { deps, job } = l;
  const d = job.destination as Versioned;
  const { id, field } = d.secret!;
  const address = job.result!.address;
  if (!address) {
    await fail(
      l,
      'secret',
      `${job.result!.identifier} shows no endpoint address: the secret ${id} was not changed`,
      `look at ${job.result!.identifier}; set "${field}" in the secret ${id} by hand once it has an endpoint`,
    );
    return false;
  }
  const sm = deps.secretsIn(job.region);
  const port = job.result!.port;
  const failSecret = (reason: string, action: string, err?: unknown) =>
    fail(l, 'secret', reason, action, { errorCode: err ? errorName(err) : undefined }).then(() => false);
  let current: Record<string, unknown> | undefined;
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: id }));
    if (out.SecretString === undefined)
      return failSecret(
        `secret ${id} holds binary data, not JSON: its "${field}" cannot be set to ${address}`,
        `store the secret as JSON ({"${field}": "..."}) or point the policy at another secret; the new database is ${job.result!.identifier}`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(out.SecretString);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      return failSecret(
        `secret ${id} is not a JSON object: its "${field}" cannot be set to ${address}`,
        `store the secret as a JSON object ({"${field}": "..."}) and run the replication again; the new database is ${job.result!.identifier}`,
      );
    current = parsed as Record<string, unknown>;
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') {
      if (!isPermanentSecretsError(err)) throw err;
      return failSecret(
        `secret ${id} could not be read: ${describeError(err)}`,
        `let Rewind's replication role read and write ${id} (secretsmanager:GetSecretValue, PutSecretValue; its key kms:Decrypt), then set "${field}" to ${address} by hand or run the replication again`,
        err,
      );
    }
  }
  const value = JSON.stringify({ ...(current ?? {}), [field]: address, ...(port ? { port } : {}) });
  try {
    if (current) await sm.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
    else if (id.startsWith('arn:'))
      return failSecret(
        `secret ${id} does not exist (a secret given by ARN is never created)`,
        `create it, or give its name instead of its ARN in the policy; the new database is ${job.result!.identifier}`,
      );
    else
      await sm.send(
        new CreateSecretCommand({
          Name: id,
          SecretString: value,
          Description: `Endpoint of the newest version of ${d.prefix} (Rewind replication ${job.policy})`,
          Tags: [{ Key: REWIND_TAGS.createdBy, Value: 'rewind' }],
        }),
      );
  } catch (err) {
    if (!isPermanentSecretsError(err)) throw err;
    return failSecret(
      `secret ${id} could not be written: ${describeError(err)}`,
      `let Rewind's replication role write ${id} (secretsmanager:PutSecretValue, CreateSecret), then set "${field}" to ${address} by hand`,
      err,
    );
  }
  await jobsOf(deps).set(job, { secret: { id, field, value: address } });
  return true;
}

/**
 * Deletes the versions beyond `keep` (the newest N recorded), each only if RDS shows, right before the
 * delete, the resource id recorded when it was created: one whose resource id differs is left alone and
 * said. Deletion protection (a version takes the template's) is lifted first, on those only. True when
 * done; false while a cluster's members are going.
 */
export async function pruneVersions(l: Look): Promise<boolean> {
  const { deps, job, ctx } = l;
  const d = job.destination as Versioned;
  const rds = deps.rdsIn(job.region);
  const store = destinationStore(deps);
  const item = await store.versions(job.policy, ctx.now());
  const newestFirst = [...item.versions].sort((a, b) => b.number - a.number);
  const kept = newestFirst.slice(0, d.keep);
  const remaining: VersionRecord[] = [...kept];
  const deleted: string[] = [];
  const warnings: string[] = [];
  let waiting = false;
  for (const v of newestFirst.slice(d.keep)) {
    const seen = await describe(rds, job.kind, v.identifier);
    // Gone, or going since an earlier replication deleted it: dropped from the record once gone.
    if (!seen || seen.status === 'deleting') {
      if (seen) remaining.push(v);
      continue;
    }
    if (seen.resourceId !== v.resourceId) {
      warnings.push(
        `${v.identifier} was not deleted: it is now another database (resource id ${seen.resourceId}, not ${v.resourceId} that replication ${v.replicationId} created); it is no longer counted as a version`,
      );
      continue;
    }
    try {
      waiting = (await deleteVersion(l, rds, v.identifier, seen, d.finalSnapshot)) || waiting;
      if (!deleted.includes(v.identifier)) deleted.push(v.identifier);
    } catch (err) {
      if (!isPermanentRdsError(err)) throw err;
      warnings.push(
        `${v.identifier} could not be deleted: ${describeError(err)}; the next replication tries again`,
      );
    }
    remaining.push(v);
  }
  // A version stays recorded until RDS no longer shows it: the next look finds it gone.
  await store.setVersions(item, remaining);
  if (waiting) {
    l.pending = true;
    return false;
  }
  await jobsOf(deps).set(job, {
    versions: { kept: kept.map((v) => v.identifier), deleted },
    warnings: [...(job.warnings ?? []), ...warnings],
  });
  return true;
}

/**
 * Deletes one version (its deletion protection lifted first): an instance, with a final snapshot when the
 * policy asks, or a cluster's members then the cluster. True when the cluster must be asked again once its members are going.
 */
async function deleteVersion(
  l: Look,
  rds: RDSClient,
  identifier: string,
  seen: Seen,
  finalSnapshot: boolean,
): Promise<boolean> {
  const final: { FinalDBSnapshotIdentifier?: string; SkipFinalSnapshot?: boolean } = finalSnapshot
    ? { FinalDBSnapshotIdentifier: finalSnapshotIdentifier(identifier, l.job.runId!, l.ctx.now()) }
    : { SkipFinalSnapshot: true };
  if (l.job.kind === 'instance') {
    await deleteInstance(
      rds,
      identifier,
      { DeletionProtection: seen.deletionProtection },
      {
        finalSnapshot: final.FinalDBSnapshotIdentifier,
        deleteAutomatedBackups: true,
      },
    );
    return false;
  }
  // A version takes the template's deletion protection: lifted on what this service created, and only that.
  if (seen.deletionProtection) {
    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: identifier,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    );
  }
  for (const member of seen.members) {
    try {
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: member, SkipFinalSnapshot: true }));
    } catch (err) {
      if (!isAlreadyGoing(err, 'DBInstanceNotFound')) throw err;
    }
  }
  try {
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: identifier, ...final }));
  } catch (err) {
    if (isAlreadyGoing(err, 'DBClusterNotFoundFault')) return false;
    // Members still leaving: the cluster is deleted at a later look.
    if (isRdsError(err, 'InvalidDBClusterStateFault')) return true;
    throw err;
  }
  return false;
}
