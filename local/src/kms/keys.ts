/**
 * KMS keys per account and region: customer managed keys with key policies, aliases and grants, and
 * the AWS managed `aws/<service>` keys that services create on first use. What another account may do
 * with a key follows its policy and grants, exactly as `policyAllows` reads them: the AWS managed keys'
 * policies only admit their own account through the service, so no other account can ever use them.
 */
import { randomUUID } from 'node:crypto';
import { Partitions } from '../edge/identity';
import { JsonServiceError } from '../edge/jsonProtocol';
import { parsePolicy, policyAllows, principalAccount, type PolicyDocument } from '../policies/resourcePolicy';
import type { LocalIdentity } from '../types';

export interface Grant {
  grantId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  issuingAccount: string;
  createdAt: Date;
}

export interface KmsKey {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  description: string;
  manager: 'CUSTOMER' | 'AWS';
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  policyText: string;
  policy: PolicyDocument;
  keyUsage: string;
  keySpec: string;
  createdAt: Date;
  deletionDate?: Date;
  grants: Grant[];
  tags: { TagKey: string; TagValue: string }[];
}

export class KmsError extends JsonServiceError {}

/** One account's keys and aliases in one region. */
export class KmsPartition {
  readonly keys = new Map<string, KmsKey>();
  /** `alias/<name>` -> key id. */
  readonly aliases = new Map<string, { keyId: string; createdAt: Date }>();

  constructor(readonly identity: LocalIdentity) {}

  arn(resource: string): string {
    return `arn:aws:kms:${this.identity.region}:${this.identity.accountId}:${resource}`;
  }
}

const KEY_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;

export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });
}

/** The policy of an AWS managed key: its own account, through the service only. */
function managedKeyPolicy(where: LocalIdentity, service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: `auto-${service}-2`,
    Statement: [
      {
        Sid: `Allow access through ${service.toUpperCase()} for all principals in the account that are authorized to use ${service.toUpperCase()}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:CreateGrant',
          'kms:ListGrants',
          'kms:DescribeKey',
        ],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:CallerAccount': where.accountId,
            'kms:ViaService': `${service}.${where.region}.amazonaws.com`,
          },
        },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${where.accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
        Resource: '*',
      },
    ],
  });
}

/** What a caller does with a key, for `allowed`. */
export interface KeyUse {
  account: string;
  actions: string[];
  /** The service acting for the caller (`rds`), in the key's region. */
  viaService?: string;
}

export class KmsKeys {
  readonly partitions = new Partitions((identity) => new KmsPartition(identity));

  createKey(
    where: LocalIdentity,
    opts: {
      description?: string;
      policy?: string;
      keyUsage?: string;
      keySpec?: string;
      tags?: KmsKey['tags'];
      manager?: KmsKey['manager'];
    },
  ): KmsKey {
    const part = this.partitions.get(where);
    const keyId = randomUUID();
    const policyText = opts.policy ?? defaultKeyPolicy(where.accountId);
    let policy: PolicyDocument;
    try {
      policy = parsePolicy(policyText);
    } catch (e) {
      throw new KmsError(
        'MalformedPolicyDocumentException',
        `The key policy is invalid: ${(e as Error).message}`,
      );
    }
    const key: KmsKey = {
      keyId,
      arn: part.arn(`key/${keyId}`),
      accountId: where.accountId,
      region: where.region,
      description: opts.description ?? '',
      manager: opts.manager ?? 'CUSTOMER',
      state: 'Enabled',
      policyText,
      policy,
      keyUsage: opts.keyUsage ?? 'ENCRYPT_DECRYPT',
      keySpec: opts.keySpec ?? 'SYMMETRIC_DEFAULT',
      createdAt: new Date(),
      grants: [],
      tags: opts.tags ?? [],
    };
    part.keys.set(keyId, key);
    return key;
  }

  /** The AWS managed key `aws/<service>` of an account in a region, created on first use. */
  managedKey(where: LocalIdentity, service: string): KmsKey {
    const part = this.partitions.get(where);
    const alias = `alias/aws/${service}`;
    const existing = part.aliases.get(alias);
    if (existing) return part.keys.get(existing.keyId) as KmsKey;
    const key = this.createKey(where, {
      description: `Default key that protects my ${service.toUpperCase()} database volumes when no other key is defined`,
      policy: managedKeyPolicy(where, service),
      manager: 'AWS',
    });
    part.aliases.set(alias, { keyId: key.keyId, createdAt: new Date() });
    return key;
  }

  /**
   * The key a reference names, as seen by a caller in `where`: a key id or alias name (the caller's
   * account and region), or a key or alias ARN (any account and region). Undefined when it does not exist.
   */
  find(ref: string, where: LocalIdentity): KmsKey | undefined {
    const keyArn = KEY_ARN.exec(ref);
    if (keyArn) {
      const [, region, accountId, keyId] = keyArn as unknown as [string, string, string, string];
      return this.partitions.peek({ accountId, region })?.keys.get(keyId);
    }
    const aliasArn = ALIAS_ARN.exec(ref);
    if (aliasArn) {
      const [, region, accountId, alias] = aliasArn as unknown as [string, string, string, string];
      return this.byAlias({ accountId, region }, alias);
    }
    if (ref.startsWith('alias/')) return this.byAlias(where, ref);
    return this.partitions.peek(where)?.keys.get(ref);
  }

  private byAlias(where: LocalIdentity, alias: string): KmsKey | undefined {
    // AWS managed keys appear on first use; the local cloud has services that use `aws/rds` only.
    if (alias === 'alias/aws/rds') return this.managedKey(where, 'rds');
    const part = this.partitions.peek(where);
    const target = part?.aliases.get(alias);
    return target ? part?.keys.get(target.keyId) : undefined;
  }

  /** True when the key's policy or a grant lets `use.account` do every action in `use.actions`. */
  allowed(key: KmsKey, use: KeyUse): boolean {
    if (key.state !== 'Enabled') return false;
    const context = {
      'kms:CallerAccount': use.account,
      'aws:PrincipalAccount': use.account,
      ...(use.viaService
        ? {
            'kms:ViaService': `${use.viaService}.${key.region}.amazonaws.com`,
            'kms:GrantIsForAWSResource': true,
          }
        : {}),
    };
    const granted = (action: string) =>
      key.grants.some(
        (g) =>
          principalAccount(g.granteePrincipal) === use.account &&
          g.operations.includes(action.replace(/^kms:/, '')),
      );
    return use.actions.every(
      (action) => policyAllows(key.policy, { account: use.account, action, context }) || granted(action),
    );
  }

  reset(): void {
    for (const part of this.partitions.all()) {
      part.keys.clear();
      part.aliases.clear();
    }
  }
}
