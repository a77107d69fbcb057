/**
 * Master passwords managed in Secrets Manager (ManageMasterUserPassword): the secret RDS creates for an
 * instance, shown as MasterUserSecret. A restore does not carry it (RestoreDBInstanceFromDBSnapshot takes
 * management for Oracle only); turning management on creates a new secret with a new ARN.
 */
import { err } from './errors';
import type { DbInstance } from './model';
import type { Params } from './protocol';
import type { RdsState } from './state';

/** The secret a CreateDBInstance or ModifyDBInstance asks for, or undefined when it does not turn management on. */
export function requestedMasterSecret(
  s: RdsState,
  p: Params,
  current?: DbInstance,
): DbInstance['masterUserSecret'] | undefined {
  if (p.bool('ManageMasterUserPassword') !== true || current?.masterUserSecret) return undefined;
  if (p.str('MasterUserPassword') !== undefined) {
    throw err.combination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.");
  }
  const hex = () => Math.floor(s.random() * 16).toString(16);
  const id = Array.from({ length: 32 }, hex).join('');
  const suffix = Array.from({ length: 6 }, hex).join('');
  const { region, accountId } = s.identity;
  return {
    arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:rds!db-${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}-${suffix}`,
    kmsKeyId:
      p.str('MasterUserSecretKmsKeyId') ?? `arn:aws:kms:${region}:${accountId}:alias/aws/secretsmanager`,
  };
}
