import type { DBClusterSnapshot, DBSnapshot } from '@aws-sdk/client-rds';

/**
 * What matters of a database or a snapshot when one is restored in place of the other: engine, version,
 * encryption and key, read the same way from a DB snapshot, a cluster snapshot or a captured configuration.
 */

/** `none` < `sse-rds` (an AWS owned key) < `sse-kms` (a KMS key of the account, AWS managed or customer managed). */
export type Encryption = 'none' | 'sse-rds' | 'sse-kms';
export const STRENGTH: Record<Encryption, number> = { none: 0, 'sse-rds': 1, 'sse-kms': 2 };

/** What matters of a database or a snapshot for the comparison. */
export interface StorageFacts {
  identifier?: string;
  resourceId?: string;
  engine?: string;
  engineVersion?: string;
  encryption: Encryption;
  kmsKeyId?: string;
}

export function encryptionOf(encrypted: boolean | undefined, type: string | undefined): Encryption {
  if (type === 'none' || type === 'sse-rds' || type === 'sse-kms') return type;
  return encrypted ? 'sse-kms' : 'none';
}

/**
 * The major version of an engine version string: PostgreSQL 10 and later `15`, Oracle and Db2 `19`,
 * everything else the first two parts (`8.0` for MySQL `8.0.35` and Aurora MySQL `8.0.mysql_aurora.3.05.2`,
 * `10.6` for MariaDB, `9.6` for PostgreSQL 9.6, `15.00` for SQL Server).
 */
export function majorVersion(engine: string, version: string): string {
  const parts = version.split('.');
  const first = parts[0] ?? version;
  if (/postgres/.test(engine) && Number(first) >= 10) return first;
  if (/^(oracle|db2)/.test(engine)) return first;
  return parts.slice(0, 2).join('.');
}

/** Orders two version strings part by part, numerically where both parts are numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const diff =
      /^\d+$/.test(x) && /^\d+$/.test(y)
        ? Number(x) - Number(y)
        : x.localeCompare(y, 'en', { numeric: true });
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** Whether `given` (a key ARN or key id) names the key `arn`. */
export function sameKey(arn: string | undefined, given: string | undefined): boolean {
  if (!arn || !given) return false;
  return arn === given || arn.endsWith(`:key/${given}`);
}

export function describeEncryption(e: Encryption, key?: string): string {
  if (e === 'none') return 'not encrypted';
  if (e === 'sse-rds') return 'encrypted with an AWS owned key (no KMS key of the account)';
  return `encrypted with KMS key ${key ?? '(unknown)'}`;
}

export function instanceSnapshotFacts(s: DBSnapshot): StorageFacts {
  return {
    identifier: s.DBInstanceIdentifier,
    resourceId: s.DbiResourceId,
    engine: s.Engine,
    engineVersion: s.EngineVersion,
    encryption: encryptionOf(s.Encrypted, s.StorageEncryptionType),
    kmsKeyId: s.KmsKeyId,
  };
}

export function clusterSnapshotFacts(s: DBClusterSnapshot): StorageFacts {
  return {
    identifier: s.DBClusterIdentifier,
    resourceId: s.DbClusterResourceId,
    engine: s.Engine,
    engineVersion: s.EngineVersion,
    encryption: encryptionOf(s.StorageEncrypted, s.StorageEncryptionType),
    kmsKeyId: s.KmsKeyId,
  };
}
