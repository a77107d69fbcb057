/**
 * The KMS emulator: keys, aliases, key policies and grants per account and region (AWS JSON 1.1,
 * `X-Amz-Target: TrentService.<Operation>`). No cryptography: the keys exist so that RDS can decide,
 * as AWS does, who may use which key for encrypted snapshots and copies.
 */
import { randomUUID } from 'node:crypto';
import type { IdentityOptions } from '../edge/identity';
import { inputString, jsonProtocol, type JsonHandler, type JsonInput } from '../edge/jsonProtocol';
import { partitionedState } from '../persistence/partitioned';
import { parsePolicy } from '../policies/resourcePolicy';
import type { CallerIdentity, EmulatedService } from '../types';
import { KmsError, KmsKeys, type KmsKey } from './keys';
import { kmsState } from './persistence';

export { KmsKeys, KmsError } from './keys';
export type { KmsKey, Grant, KeyUse } from './keys';

type Input = JsonInput;
type Handler = JsonHandler;
const str = inputString;

function metadata(k: KmsKey): Input {
  return {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: k.createdAt.getTime() / 1000,
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage,
    KeyState: k.state,
    ...(k.deletionDate ? { DeletionDate: k.deletionDate.getTime() / 1000 } : {}),
    Origin: 'AWS_KMS',
    KeyManager: k.manager,
    CustomerMasterKeySpec: k.keySpec,
    KeySpec: k.keySpec,
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  };
}

export interface KmsEmulator extends EmulatedService {
  readonly keys: KmsKeys;
}

export function createKms(opts: IdentityOptions): KmsEmulator {
  const keys = new KmsKeys();

  /** The key a caller names; another account's key only when its policy or a grant allows `action`. */
  function key(input: Input, caller: CallerIdentity, action: string): KmsKey {
    const ref = str(input, 'KeyId', true) as string;
    const k = keys.find(ref, caller);
    if (!k) throw new KmsError('NotFoundException', `Key '${ref}' does not exist`);
    if (k.region !== caller.region)
      throw new KmsError('NotFoundException', `Key '${ref}' does not exist in ${caller.region}`);
    if (
      k.accountId !== caller.accountId &&
      !keys.allowed(k, { account: caller.accountId, actions: [action] })
    ) {
      throw new KmsError(
        'AccessDeniedException',
        `User: arn:aws:iam::${caller.accountId}:root is not authorized to perform: ${action} on resource: ${k.arn} because no resource-based policy allows the ${action} action`,
      );
    }
    return k;
  }

  function ownCustomerKey(input: Input, caller: CallerIdentity, action: string): KmsKey {
    const k = key(input, caller, action);
    if (k.manager === 'AWS') {
      throw new KmsError(
        'AccessDeniedException',
        `${k.arn} is an AWS managed key: its policy and grants are managed by the AWS service and cannot be changed. Use a customer managed key (CreateKey) instead.`,
      );
    }
    if (k.accountId !== caller.accountId && action !== 'kms:CreateGrant') {
      throw new KmsError(
        'AccessDeniedException',
        `Only account ${k.accountId} can perform ${action} on ${k.arn}`,
      );
    }
    return k;
  }

  const handlers: Record<string, Handler> = {
    CreateKey(input, caller) {
      if (input['MultiRegion'] === true) {
        throw new KmsError(
          'UnsupportedOperationException',
          'The local cloud does not emulate multi-Region keys; create one key per region.',
        );
      }
      const policy = str(input, 'Policy');
      const k = keys.createKey(caller, {
        description: str(input, 'Description'),
        policy,
        keyUsage: str(input, 'KeyUsage'),
        keySpec: str(input, 'KeySpec') ?? str(input, 'CustomerMasterKeySpec'),
        tags: Array.isArray(input['Tags']) ? (input['Tags'] as KmsKey['tags']) : [],
      });
      return { KeyMetadata: metadata(k) };
    },

    DescribeKey: (input, caller) => ({ KeyMetadata: metadata(key(input, caller, 'kms:DescribeKey')) }),

    ListKeys(_input, caller) {
      const part = keys.partitions.get(caller);
      return {
        Keys: [...part.keys.values()].map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
        Truncated: false,
      };
    },

    CreateAlias(input, caller) {
      const name = str(input, 'AliasName', true) as string;
      if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(name)) {
        throw new KmsError(
          'ValidationException',
          `Alias ${name} must start with "alias/" followed by letters, digits, "/", "_" or "-"`,
        );
      }
      if (name.startsWith('alias/aws/')) {
        throw new KmsError(
          'NotAuthorizedException',
          `The alias prefix "alias/aws/" is reserved for AWS managed keys; choose another name than ${name}`,
        );
      }
      const k = key({ KeyId: input['TargetKeyId'] }, caller, 'kms:CreateAlias');
      if (k.accountId !== caller.accountId) {
        throw new KmsError(
          'AccessDeniedException',
          `An alias can only point to a key of the same account (${k.arn})`,
        );
      }
      const part = keys.partitions.get(caller);
      if (part.aliases.has(name))
        throw new KmsError(
          'AlreadyExistsException',
          `An alias with the name ${part.arn(name)} already exists`,
        );
      part.aliases.set(name, { keyId: k.keyId, createdAt: new Date() });
      return {};
    },

    DeleteAlias(input, caller) {
      const name = str(input, 'AliasName', true) as string;
      const part = keys.partitions.get(caller);
      if (!part.aliases.delete(name))
        throw new KmsError('NotFoundException', `Alias ${part.arn(name)} is not found.`);
      return {};
    },

    ListAliases(input, caller) {
      const part = keys.partitions.get(caller);
      const filter = str(input, 'KeyId');
      const wanted = filter === undefined ? undefined : keys.find(filter, caller)?.keyId;
      const aliases = [...part.aliases.entries()]
        .filter(([, a]) => filter === undefined || a.keyId === wanted)
        .map(([name, a]) => ({
          AliasName: name,
          AliasArn: part.arn(name),
          TargetKeyId: a.keyId,
          CreationDate: a.createdAt.getTime() / 1000,
        }));
      return { Aliases: aliases, Truncated: false };
    },

    GetKeyPolicy: (input, caller) => ({
      Policy: key(input, caller, 'kms:GetKeyPolicy').policyText,
      PolicyName: 'default',
    }),

    PutKeyPolicy(input, caller) {
      const k = ownCustomerKey(input, caller, 'kms:PutKeyPolicy');
      const text = str(input, 'Policy', true) as string;
      try {
        k.policy = parsePolicy(text);
      } catch (e) {
        throw new KmsError(
          'MalformedPolicyDocumentException',
          `The new key policy is invalid: ${(e as Error).message}`,
        );
      }
      k.policyText = text;
      return {};
    },

    CreateGrant(input, caller) {
      const k = ownCustomerKey(input, caller, 'kms:CreateGrant');
      const grantee = str(input, 'GranteePrincipal', true) as string;
      const ops = input['Operations'];
      if (!Array.isArray(ops) || ops.length === 0) {
        throw new KmsError(
          'ValidationException',
          'Operations must list at least one operation, e.g. ["Decrypt","CreateGrant"]',
        );
      }
      const grant = {
        grantId: randomUUID().replace(/-/g, ''),
        name: str(input, 'Name'),
        granteePrincipal: grantee,
        retiringPrincipal: str(input, 'RetiringPrincipal'),
        operations: ops.map(String),
        issuingAccount: `arn:aws:iam::${caller.accountId}:root`,
        createdAt: new Date(),
      };
      k.grants.push(grant);
      return { GrantId: grant.grantId, GrantToken: `token-${grant.grantId}` };
    },

    ListGrants(input, caller) {
      const k = key(input, caller, 'kms:ListGrants');
      return {
        Grants: k.grants.map((g) => ({
          KeyId: k.arn,
          GrantId: g.grantId,
          Name: g.name,
          CreationDate: g.createdAt.getTime() / 1000,
          GranteePrincipal: g.granteePrincipal,
          RetiringPrincipal: g.retiringPrincipal,
          IssuingAccount: g.issuingAccount,
          Operations: g.operations,
        })),
        Truncated: false,
      };
    },

    RevokeGrant(input, caller) {
      const k = ownCustomerKey(input, caller, 'kms:RevokeGrant');
      const id = str(input, 'GrantId', true);
      const before = k.grants.length;
      k.grants = k.grants.filter((g) => g.grantId !== id);
      if (k.grants.length === before)
        throw new KmsError('NotFoundException', `Grant ${id} does not exist on ${k.arn}`);
      return {};
    },

    EnableKey(input, caller) {
      ownCustomerKey(input, caller, 'kms:EnableKey').state = 'Enabled';
      return {};
    },

    DisableKey(input, caller) {
      ownCustomerKey(input, caller, 'kms:DisableKey').state = 'Disabled';
      return {};
    },

    ScheduleKeyDeletion(input, caller) {
      const k = ownCustomerKey(input, caller, 'kms:ScheduleKeyDeletion');
      const days = typeof input['PendingWindowInDays'] === 'number' ? input['PendingWindowInDays'] : 30;
      if (days < 7 || days > 30)
        throw new KmsError('ValidationException', 'PendingWindowInDays must be between 7 and 30');
      k.state = 'PendingDeletion';
      k.deletionDate = new Date(Date.now() + days * 86_400_000);
      return {
        KeyId: k.arn,
        DeletionDate: k.deletionDate.getTime() / 1000,
        KeyState: k.state,
        PendingWindowInDays: days,
      };
    },
  };

  return {
    signingNames: ['kms'],
    keys,
    persistence: partitionedState('kms', keys.partitions, kmsState),
    handle: jsonProtocol({ prefix: 'TrentService', label: 'the local KMS', handlers, identity: opts }),
  };
}
