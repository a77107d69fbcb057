/**
 * Which KMS key protects a database or snapshot, and whether the caller's account may use a key, as
 * RDS asks KMS (through the service: `kms:ViaService` = rds.<region>.amazonaws.com).
 */
import { RdsError } from './errors';
import type { RdsState } from './state';

/** RDS needs these on every key it encrypts or decrypts a snapshot with. */
const RDS_KEY_ACTIONS = ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt'];

function notAccessible(which: 'source snapshot' | 'target', ref: string): RdsError {
  return new RdsError(
    'KMSKeyNotAccessibleFault',
    `The ${which} KMS key [${ref}] does not exist, is not enabled or you do not have permissions to access it.`,
  );
}

/**
 * The key ARN for a new encrypted resource or copy in the caller's account and region: `ref` (key id,
 * alias, or key / alias ARN) when given, which must exist in this region and be usable by this account;
 * else the account's `aws/rds` key when `encrypted`; else undefined (not encrypted).
 */
export function targetKey(s: RdsState, ref: string | undefined, encrypted: boolean): string | undefined {
  if (ref === undefined) return encrypted ? s.world.kms.managedKey(s.identity, 'rds').arn : undefined;
  const key = s.world.kms.find(ref, s.identity);
  if (
    !key ||
    key.region !== s.identity.region ||
    !s.world.kms.allowed(key, { account: s.identity.accountId, actions: RDS_KEY_ACTIONS, viaService: 'rds' })
  ) {
    throw notAccessible('target', ref);
  }
  return key.arn;
}

/** Throws KMSKeyNotAccessibleFault unless the caller's account may use the key of a snapshot it reads. */
export function requireSourceKey(s: RdsState, keyArn: string | undefined): void {
  if (keyArn === undefined) return;
  const key = s.world.kms.find(keyArn, s.identity);
  if (
    !key ||
    !s.world.kms.allowed(key, { account: s.identity.accountId, actions: RDS_KEY_ACTIONS, viaService: 'rds' })
  ) {
    throw notAccessible('source snapshot', keyArn);
  }
}

/** The error for an encrypted copy to another account or region without a key of the destination. */
export function missingTargetKey(crossRegion: boolean): RdsError {
  return crossRegion
    ? new RdsError(
        'InvalidParameterValue',
        'Must specify new KMS key for cross region encrypted snapshot copy. Pass KmsKeyId: a key in the destination Region (e.g. --kms-key-id alias/<name>).',
      )
    : notAccessible('target', 'None');
}
