/**
 * IAM in the loop for the local cloud: the function roles the deployment generates, an authorizer the
 * edge consults on every request, and the RDS -> SNS publication check.
 */
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import type { KmsKeys } from '../kms/keys';
import type { RdsEmulator, SnsPublisher } from '../rds';
import type { SecretsManagerEmulator } from '../secretsmanager';
import type { RuntimeFunction } from '../runtime/functions';
import type { EmulatedService, LocalIdentity } from '../types';
import { IamAuthorizer } from './authorizer';
import { guardRdsPublisher } from './rdsTopicGuard';
import { localRoles, type LocalDeployValues, type LocalRole } from './roles';

export { IamAuthorizer, type AssumedRoleCheck, type Denial, type RoleRefusal } from './authorizer';
export { evaluate, type PolicyDocument, type Statement } from './evaluate';
export { localRoles, roleCredentials, type LocalRole } from './roles';

export interface LocalIam {
  authorizer: IamAuthorizer;
  roles: readonly LocalRole[];
  /** The RDS emulator's SNS publisher, checked against each topic's policy. */
  guardRdsPublisher(publisher: SnsPublisher, sns: EmulatedService): SnsPublisher;
  /**
   * The function with its role's credentials in its own environment (unchanged if no role runs it), the
   * role of `accountId`'s install (default: the default account's).
   */
  withRole(fn: RuntimeFunction, accountId?: string): RuntimeFunction;
  /** Access keys of the roles of installs in other accounts -> their account (for the edge). */
  otherAccountKeys: Record<string, string>;
}

export function createLocalIam(opts: {
  names: ResourceNames;
  identity: LocalIdentity;
  values: LocalDeployValues;
  /** The RDS emulator, once started (resource tags and keys). */
  rds: () => RdsEmulator | undefined;
  /** The KMS keys, once started (aliases resolved to keys). */
  kmsKeys?: () => KmsKeys | undefined;
  /** The secrets, once started (a name resolved to the secret's full ARN). */
  secrets?: () => SecretsManagerEmulator | undefined;
  log: (line: string) => void;
  /** Rewind installed in other accounts too: their roles, resolved for their account and names. */
  otherInstalls?: readonly { accountId: string; names: ResourceNames }[];
}): LocalIam {
  const roles = [
    ...localRoles(opts.names, opts.identity, opts.values).roles,
    ...(opts.otherInstalls ?? []).flatMap(
      (install) =>
        localRoles(install.names, { ...opts.identity, accountId: install.accountId }, opts.values, true)
          .roles,
    ),
  ];
  const authorizer = new IamAuthorizer(roles, {
    region: opts.identity.region,
    accountId: opts.identity.accountId,
    rdsResource: (arn) => opts.rds()?.resourceFacts(arn),
    kmsKeyArn: (ref, where) => opts.kmsKeys?.()?.find(ref, where)?.arn,
    secretArn: (id, where) => opts.secrets?.()?.secretArn(id, where),
  });
  return {
    authorizer,
    roles,
    guardRdsPublisher: (publisher, sns) =>
      guardRdsPublisher(publisher, sns, authorizer, opts.identity, opts.log),
    otherAccountKeys: Object.fromEntries(
      roles
        .filter((r) => r.accountId !== opts.identity.accountId)
        .map((r) => [r.credentials.accessKeyId, r.accountId]),
    ),
    withRole(fn, accountId = opts.identity.accountId) {
      const role = roles.find((r) => r.functionName === fn.name && r.accountId === accountId);
      if (!role) return fn;
      const c = role.credentials;
      return {
        ...fn,
        ownEnv: {
          ...fn.ownEnv,
          AWS_ACCESS_KEY_ID: c.accessKeyId,
          AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
          AWS_SESSION_TOKEN: c.sessionToken,
        },
      };
    },
  };
}
