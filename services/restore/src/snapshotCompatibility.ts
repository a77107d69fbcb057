import {
  findClusterSnapshot,
  findSnapshot,
  type EventDetail,
  type Kind,
  type ServiceContext,
  type CapturedConfig,
} from '@rewind/shared';
import { Rejection } from './rejection';
import {
  clusterSnapshotFacts,
  compareVersions,
  describeEncryption,
  encryptionOf,
  instanceSnapshotFacts,
  majorVersion,
  sameKey,
  STRENGTH,
  type Encryption,
  type StorageFacts,
} from './storageFacts';

export { compareVersions, encryptionOf, majorVersion, sameKey, type Encryption, type StorageFacts };

/**
 * Whether a snapshot can be restored in place of a database without changing what the database is:
 * same engine, same major version, encryption at least as strong, the same KMS key unless the request
 * accepts the snapshot's. Decided at intake, before anything is touched. The outcome also says what the
 * restored database must show (engine version, encryption, key), which the restore step then verifies.
 */

type Request = EventDetail<'RestoreRequested'>;

/** What the restored database must show, and what to announce. */
export interface Compatibility {
  expected: { engineVersion?: string; storageEncrypted?: boolean; kmsKeyId?: string };
  warnings: string[];
  snapshotSource: { identifier?: string; resourceId?: string; sameDatabase: boolean };
}

/** A name for a copy of the snapshot (the name of an ARN), within 63 characters whatever the kind. */
function copyName(snapshotName: string, suffix: string): string {
  const bare = snapshotName.split(':').at(-1)!;
  return bare.slice(0, 63 - suffix.length).replace(/-+$/, '') + suffix;
}

const listSnapshotsCommand = (kind: Kind) =>
  kind === 'instance'
    ? 'aws rds describe-db-snapshots --db-instance-identifier'
    : 'aws rds describe-db-cluster-snapshots --db-cluster-identifier';

/**
 * Compares a database with the snapshot to restore in its place (or, for a clone, with the snapshot the
 * clone `cloneTo` is restored from, taking `db`'s configuration). Throws a Rejection
 * (`incompatible-snapshot`) with the reason and the fix; otherwise returns what the restored database
 * must show and what to announce.
 *
 * What a restore produces: an instance restore keeps the snapshot's engine version and encryption (the
 * call takes neither a version nor a key). A cluster restore takes both: Rewind passes the cluster's own
 * version (the snapshot's when that is newer: a restore cannot downgrade) and the cluster's own KMS key,
 * so the restored cluster is re-encrypted with it.
 */
export function assessCompatibility(
  kind: Kind,
  db: StorageFacts & { identifier: string },
  snap: StorageFacts,
  snapshotName: string,
  acceptKmsKeyId?: string,
  cloneTo?: string,
  snapshotOf?: string,
): Compatibility {
  const id = db.identifier;
  // The warnings speak of the database the restore leaves behind: a clone's source is never changed.
  const subject = cloneTo ? `the clone ${cloneTo}` : id;
  const today = cloneTo ? id : 'it';
  const engine = db.engine?.toLowerCase();
  const snapEngine = snap.engine?.toLowerCase();
  const reject = (reason: string) => {
    throw new Rejection('incompatible-snapshot', reason);
  };
  if (engine && snapEngine && engine !== snapEngine) {
    reject(
      `snapshot ${snapshotName} was taken of a database running ${snapEngine}, but ${id} runs ${engine}: restoring it would put that engine under the name ${id}. ` +
        `Pick a ${engine} snapshot (${listSnapshotsCommand(kind)} ${id})`,
    );
  }
  const warnings: string[] = [];
  let engineVersion = kind === 'instance' ? (snap.engineVersion ?? db.engineVersion) : db.engineVersion;
  if (engine && db.engineVersion && snap.engineVersion) {
    const dbMajor = majorVersion(engine, db.engineVersion);
    const snapMajor = majorVersion(engine, snap.engineVersion);
    const order = compareVersions(snapMajor, dbMajor);
    if (order < 0) {
      reject(
        `snapshot ${snapshotName} is ${engine} ${snap.engineVersion} (major version ${snapMajor}) but ${id} runs ${db.engineVersion} (major version ${dbMajor}): ` +
          `restoring it would take ${id} back a major version, and its parameter groups (made for ${dbMajor}) would not fit. ` +
          (kind === 'instance'
            ? `Upgrade the snapshot first (aws rds modify-db-snapshot --db-snapshot-identifier ${snapshotName} --engine-version ${db.engineVersion}) or pick a snapshot taken on ${dbMajor}`
            : `Pick a cluster snapshot taken on ${dbMajor}, or restore this one as a new cluster, upgrade it and snapshot that`),
      );
    }
    if (order > 0) {
      reject(
        `snapshot ${snapshotName} is ${engine} ${snap.engineVersion} (major version ${snapMajor}), newer than ${id}'s ${db.engineVersion} (major version ${dbMajor}): ` +
          `restoring it would upgrade ${id} a major version, and its parameter groups (made for ${dbMajor}) would not fit. ` +
          `Upgrade ${id} to ${snapMajor} first, or pick a snapshot taken on ${dbMajor}`,
      );
    }
    // A cluster restore cannot go below the snapshot's version: a newer snapshot sets the version.
    if (kind === 'cluster' && compareVersions(snap.engineVersion, db.engineVersion) > 0) {
      engineVersion = snap.engineVersion;
    }
    if (engineVersion && engineVersion !== db.engineVersion) {
      warnings.push(
        `${subject} will run ${engine} ${engineVersion} after the restore (the snapshot's version); ${today} runs ${db.engineVersion} now`,
      );
    }
  }

  // What the restored database will be encrypted with.
  const reencrypts = kind === 'cluster' && db.encryption === 'sse-kms' && !!db.kmsKeyId;
  const result = reencrypts ? { encryption: db.encryption, kmsKeyId: db.kmsKeyId } : snap;
  if (STRENGTH[result.encryption] < STRENGTH[db.encryption]) {
    reject(
      `snapshot ${snapshotName} is ${describeEncryption(snap.encryption, snap.kmsKeyId)} but ${id} is ${describeEncryption(db.encryption, db.kmsKeyId)}: ` +
        `the restored database would be ${describeEncryption(result.encryption, result.kmsKeyId)}, weaker than the original. ` +
        (db.kmsKeyId
          ? `Copy the snapshot with the database's key and restore from the copy: aws rds copy-db-snapshot --source-db-snapshot-identifier ${snapshotName} --target-db-snapshot-identifier ${copyName(snapshotName, '-encrypted')} --kms-key-id ${db.kmsKeyId}`
          : `Pick a snapshot encrypted like ${id}`),
    );
  }
  if (result.encryption === 'sse-kms' && db.encryption === 'sse-kms' && result.kmsKeyId !== db.kmsKeyId) {
    if (!sameKey(result.kmsKeyId, acceptKmsKeyId)) {
      reject(
        `snapshot ${snapshotName} is encrypted with KMS key ${result.kmsKeyId} but ${id} uses ${db.kmsKeyId}: the restored database would use the snapshot's key ` +
          `(an instance restore cannot change it), with that key's policy, rotation and deletion schedule. ` +
          `To accept it, send "acceptKmsKeyId": "${result.kmsKeyId}" with the request; to keep ${id}'s key, copy the snapshot with it first: ` +
          `aws rds copy-db-snapshot --source-db-snapshot-identifier ${snapshotName} --target-db-snapshot-identifier ${copyName(snapshotName, '-rekeyed')} --kms-key-id ${db.kmsKeyId}` +
          (acceptKmsKeyId ? ` (the request accepts ${acceptKmsKeyId}, which is not the snapshot's key)` : ''),
      );
    }
    warnings.push(
      `${subject} will be encrypted with KMS key ${result.kmsKeyId} (the snapshot's, accepted by the request) instead of ${db.kmsKeyId}`,
    );
  }
  if (STRENGTH[result.encryption] > STRENGTH[db.encryption]) {
    warnings.push(
      `${subject} will be ${describeEncryption(result.encryption, result.kmsKeyId)} after the restore; ${today} is ${describeEncryption(db.encryption, db.kmsKeyId)} now`,
    );
  }
  if (reencrypts && (snap.encryption !== 'sse-kms' || snap.kmsKeyId !== db.kmsKeyId)) {
    warnings.push(
      `snapshot ${snapshotName} is ${describeEncryption(snap.encryption, snap.kmsKeyId)}: ` +
        (cloneTo
          ? `the restore encrypts the clone ${cloneTo} with ${id}'s key ${db.kmsKeyId}`
          : `the restore re-encrypts ${id} with its own key ${db.kmsKeyId}`),
    );
  }

  const sameDatabase = !snap.identifier || snap.identifier.toLowerCase() === id.toLowerCase();
  // The request said whose snapshot it is (a replication's copy of its source): nothing to warn about.
  const expectedSource =
    snapshotOf !== undefined && snap.identifier?.toLowerCase() === snapshotOf.toLowerCase();
  if (!sameDatabase && !expectedSource) {
    warnings.push(
      `snapshot ${snapshotName} was taken of another database, ${snap.identifier}` +
        (snap.resourceId ? ` (resource id ${snap.resourceId})` : '') +
        `: ${subject} will hold that database's data, not ${cloneTo ? `${id}'s` : 'its own'}`,
    );
  }
  return {
    expected: {
      engineVersion,
      storageEncrypted: result.encryption === 'sse-kms',
      kmsKeyId: result.kmsKeyId,
    },
    warnings,
    snapshotSource: { identifier: snap.identifier, resourceId: snap.resourceId, sameDatabase },
  };
}

interface CapturedStorage {
  identifier: string;
  dbiResourceId?: string;
  dbClusterResourceId?: string;
  engine?: string;
  engineVersion?: string;
  storageEncrypted?: boolean;
  storageEncryptionType?: string;
  kmsKeyId?: string;
}

/**
 * db_restore: describes the snapshot and compares it with the captured configuration. Returns the
 * configuration the restored database must match (version, encryption and key as the restore will
 * leave them), the warnings to announce, and where the snapshot comes from.
 */
export async function assessSnapshot(
  ctx: ServiceContext,
  req: Request,
  kind: Kind,
  config: CapturedConfig,
  snapshotName: string,
): Promise<Compatibility & { config: CapturedConfig }> {
  const captured: CapturedStorage = {
    ...config,
    dbiResourceId: 'dbiResourceId' in config ? config.dbiResourceId : undefined,
    dbClusterResourceId: 'dbClusterResourceId' in config ? config.dbClusterResourceId : undefined,
  };
  const found =
    kind === 'instance'
      ? await findSnapshot(ctx.rds, snapshotName).then((s) => s && instanceSnapshotFacts(s))
      : await findClusterSnapshot(ctx.rds, snapshotName).then((s) => s && clusterSnapshotFacts(s));
  if (!found) {
    throw new Rejection(
      'snapshot-not-found',
      `snapshot ${snapshotName} is gone (it existed a moment ago); check it and send the request again`,
    );
  }
  const db: StorageFacts & { identifier: string } = {
    identifier: captured.identifier,
    resourceId: captured.dbiResourceId ?? captured.dbClusterResourceId,
    engine: captured.engine,
    engineVersion: captured.engineVersion,
    encryption: encryptionOf(captured.storageEncrypted, captured.storageEncryptionType),
    kmsKeyId: captured.kmsKeyId,
  };
  const cloneTo = req.task === 'clone' ? req.targetIdentifier : undefined;
  const outcome = assessCompatibility(
    kind,
    db,
    found,
    snapshotName,
    req.acceptKmsKeyId,
    cloneTo,
    req.snapshotOf,
  );
  const expected = { ...outcome.expected };
  // A describe output without the field means unencrypted: keep the captured form, so verification compares like with like.
  if (!expected.storageEncrypted && !captured.storageEncrypted)
    expected.storageEncrypted = captured.storageEncrypted;
  return { ...outcome, config: { ...config, ...expected } };
}
