/**
 * Rewind installed in one or several accounts of the local cloud (`installs`): what each install is, from
 * the options and the policy file. The default account's install is first.
 */
import { policyFileFromEnv, readPolicyFile } from '@rewind/shared/src/policies/file';
import {
  replicationAsDestination,
  replicationAsSource,
  type ReplicationPolicy,
} from '@rewind/shared/src/policies/replication';
import { resourceNames, type ResourceNames } from '@rewind/shared/src/resourceNames';
import { LocalCloudError } from './errors';
import type { LocalCloudOptions } from './options';
import type { ProvisionedResources } from './provision/provision';
import type { ProvisionedReplication } from './provision/replication';
import { LOCAL_CREDENTIALS } from './runtime/functionRuntime';
import type { LocalIdentity } from './types';

export interface Install {
  accountId: string;
  names: ResourceNames;
  env: Record<string, string>;
  /** What provisioning and the runtime sign with in this account (an administrator's key). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The policies of the policy file's `replication` section this account takes part in (source or destination). */
  replicationPolicies: ReplicationPolicy[];
  resources?: ProvisionedResources;
  replication?: ProvisionedReplication;
}

/** An install as `LocalCloud.installs` shows it. */
export interface InstallView {
  accountId: string;
  prefix: string;
  resources?: ProvisionedResources;
  replication?: ProvisionedReplication;
}

export const viewOf = (i: Install): InstallView => ({
  accountId: i.accountId,
  prefix: i.names.prefix,
  resources: i.resources,
  replication: i.replication,
});

export function installsOf(
  opts: LocalCloudOptions,
  identity: LocalIdentity,
  names: ResourceNames,
): Install[] {
  const given = opts.installs ?? [{ accountId: identity.accountId }];
  const seen = new Set<string>();
  for (const install of given) {
    if (!/^\d{12}$/.test(install.accountId))
      throw new LocalCloudError(
        `installs: "${install.accountId}" is not an account id (12 digits, e.g. 111111111111)`,
      );
    if (seen.has(install.accountId))
      throw new LocalCloudError(
        `installs: account ${install.accountId} is listed twice; one install per account`,
      );
    seen.add(install.accountId);
  }
  if (!seen.has(identity.accountId))
    throw new LocalCloudError(
      `installs: none is in the default account ${identity.accountId}; list it, or set identity.accountId to one of ${[...seen].join(', ')}`,
    );
  const { replication } = readPolicyFile(policyFileFromEnv(process.env));
  const home = given.find((i) => i.accountId === identity.accountId)!;
  return [home, ...given.filter((i) => i !== home)].map((install) => ({
    accountId: install.accountId,
    names: install.prefix === undefined ? names : resourceNames(install.prefix),
    env: install.env ?? {},
    // A 12-digit access key is that account (edge/identity.ts); the default account keeps the test key.
    credentials:
      install === home ? LOCAL_CREDENTIALS : { accessKeyId: install.accountId, secretAccessKey: 'test' },
    replicationPolicies: takingPart(replication, install.accountId),
  }));
}

/** The policies an account is the source or a destination of, in the file's order. */
function takingPart(policies: readonly ReplicationPolicy[], accountId: string): ReplicationPolicy[] {
  const mine = new Set([
    ...replicationAsSource(policies, accountId),
    ...replicationAsDestination(policies, accountId).map((x) => x.policy),
  ]);
  return policies.filter((p) => mine.has(p));
}
