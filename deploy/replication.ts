import {
  destinationRegion,
  encodeJsonEnv,
  ENV,
  replicationAsDestination,
  replicationAsSource,
  replicationBusPrincipals,
  replicationForwardingRules,
  replicationPeers,
  type ReplicationPolicy,
} from '@rewind/shared';
import {
  getAtt,
  join,
  logicalId,
  ref,
  serviceTrustPolicy,
  TARGET_RETRY_POLICY,
  type Cfn,
  type CfnResource,
} from './cfn';
import { param } from './params';
import { rdsStatements, type IamStatement } from './rdsIam';
import { destinationIamStatements, KMS_USE_ACTIONS, replicationKeysOf, viaRds } from './replicationKeys';

/**
 * The deployment's side of cross-account replication (docs/replication.md), generated from the policy
 * file for the account deployed to:
 * - the replication function's environment (`REWIND_REPLICATION_POLICIES`);
 * - the bus-to-bus forwarding rules (`shared/src/replication/forwarding.ts`): each targets the peer
 *   account's Rewind bus with a role allowed to put events there, and dead-letters into the replication
 *   inbox, so an event the peer bus refuses comes back and fails the replication with the reason;
 * - the bus policy statements admitting the peer accounts (shared stack);
 * - the replication role's RDS, KMS and Secrets Manager grants, on what the policies name.
 */

/** Lambda's limit on a function's environment: every key and value together (UTF-8 bytes). */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;
/** What a value filled in at deploy time may take: a parameter (a number, a name with the stage), a reference (a queue URL). */
const PARAM_ALLOWANCE = 64;
const REF_ALLOWANCE = 128;
/** Snapshots of replication: `rewind-repl-<policy>-<time>[-shared|-copy]` (services/replication). */
export const REPLICATION_SNAPSHOT_PREFIX = 'rewind-repl-';

/** The size the environment will have in Lambda, with an allowance for values resolved at deploy time. */
export function environmentBytes(vars: Record<string, Cfn>): number {
  return Object.entries(vars).reduce(
    (sum, [k, v]) =>
      sum +
      Buffer.byteLength(k) +
      (typeof v !== 'string' ? REF_ALLOWANCE : v.includes('${') ? PARAM_ALLOWANCE : Buffer.byteLength(v)),
    0,
  );
}

/**
 * A policy-file section as an environment variable of a function: plain JSON when it fits beside the
 * other variables in Lambda's limit, else gzipped (`shared/src/jsonEnv.ts`); refused, with what to do,
 * when even that does not fit (the deployment would fail later, after the other stacks moved).
 */
export function sectionEnvironment(
  name: string,
  value: unknown,
  others: Record<string, Cfn>,
  what: { subject: string; fix: string },
): Record<string, string> {
  const room = LAMBDA_ENVIRONMENT_LIMIT - environmentBytes({ ...others, [name]: '' });
  const encoded = encodeJsonEnv(value, room);
  const bytes = environmentBytes({ ...others, [name]: encoded });
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT) {
    throw new Error(
      `${what.subject} take ${Buffer.byteLength(encoded)} bytes as ${name}, gzipped: with the function's other ` +
        `variables that is about ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT}-byte environment limit. ${what.fix}`,
    );
  }
  return { [name]: encoded };
}

/** The replication policies as the function reads them (`sectionEnvironment`). */
export function replicationEnvironment(
  policies: readonly ReplicationPolicy[],
  others: Record<string, Cfn>,
): Record<string, string> {
  return sectionEnvironment(ENV.replicationPolicies, policies, others, {
    subject: 'The replication policies',
    fix:
      `This account takes part in ${policies.length} replication policies: shorten their descriptions, or give ` +
      'one policy several destinations rather than one policy per destination.',
  });
}

/**
 * The policies the function gets: those this account takes part in (source or destination). Another
 * account's policy would be refused anyway ("unknown policy"), and Lambda's environment is small.
 */
export function accountPolicies(settings: {
  replication: ReplicationPolicy[];
  accountId?: string;
}): ReplicationPolicy[] {
  const account = settings.accountId;
  if (!account) return [];
  return settings.replication.filter(
    (p) => p.source.account === account || p.destinations.some((d) => d.account === account),
  );
}

/** A peer's Rewind bus: the same bus name, in this region, in the peer account. */
const peerBus = (account: string): Cfn =>
  join(
    'arn:',
    ref('AWS::Partition'),
    ':events:',
    ref('AWS::Region'),
    `:${account}:event-bus/`,
    param('busName'),
  );

/**
 * The forwarding rules of the replication stack, their role, and the logical ids of the rules (their
 * dead-letter queue is the inbox: the inbox's queue policy must let them send).
 */
export function forwardingResources(
  policies: readonly ReplicationPolicy[],
  accountId: string,
  ruleName: (rule: string) => string,
): { resources: Record<string, CfnResource>; ruleIds: string[] } {
  const rules = replicationForwardingRules(policies, accountId);
  if (!rules.length) return { resources: {}, ruleIds: [] };
  const peers = [...new Set(rules.map((r) => r.peerAccount))].sort();
  const resources: Record<string, CfnResource> = {
    ReplicationForwardingRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: 'EventBridge: forwards replication events to the peer accounts Rewind buses',
        AssumeRolePolicyDocument: serviceTrustPolicy('events.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'put-on-peer-buses',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: peers.map(peerBus) }],
            },
          },
        ],
      },
    },
  };
  const ruleIds: string[] = [];
  for (const rule of rules) {
    const id = `${logicalId(rule.name)}Rule`;
    ruleIds.push(id);
    resources[id] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: ruleName(rule.name),
        Description: rule.description,
        EventBusName: param('busName'),
        EventPattern: rule.pattern,
        State: 'ENABLED',
        Targets: [
          {
            Id: 'peer-bus',
            Arn: peerBus(rule.peerAccount),
            RoleArn: getAtt('ReplicationForwardingRole', 'Arn'),
            RetryPolicy: TARGET_RETRY_POLICY,
            // Refused by the peer bus: back to the replication inbox, where the source fails it with the reason.
            DeadLetterConfig: { Arn: getAtt('Inbox', 'Arn') },
          },
        ],
      },
    };
  }
  return { resources, ruleIds };
}

/** The event types each peer account may put on this account's bus. */
export function admittedTypes(
  policies: readonly ReplicationPolicy[],
  accountId: string,
  peer: string,
): string[] {
  const peers = replicationPeers(policies, accountId);
  const types = new Set<string>();
  // A destination of ours answers; a source of ours announces.
  if (peers.destinations.includes(peer))
    ['ReplicationReceived', 'ReplicationCompleted', 'ReplicationFailed'].forEach((t) => types.add(t));
  if (peers.sources.includes(peer)) types.add('SnapshotShared');
  return [...types].sort();
}

/**
 * The Rewind bus's policy statements for replication (shared stack): each peer account may put Rewind's
 * replication events on it, and only those.
 */
export function busPolicyResources(
  policies: readonly ReplicationPolicy[],
  accountId: string | undefined,
): Record<string, CfnResource> {
  if (!accountId) return {};
  return Object.fromEntries(
    replicationBusPrincipals(policies, accountId).map((peer) => [
      `ReplicationBusPolicy${peer}`,
      {
        Type: 'AWS::Events::EventBusPolicy',
        Properties: {
          EventBusName: ref('EventBus'),
          StatementId: `replication-from-${peer}`,
          Statement: {
            Effect: 'Allow',
            Principal: { AWS: join('arn:', ref('AWS::Partition'), `:iam::${peer}:root`) },
            Action: 'events:PutEvents',
            Resource: getAtt('EventBus', 'Arn'),
            Condition: {
              StringEquals: {
                'events:source': 'rewind',
                'events:detail-type': admittedTypes(policies, accountId, peer),
              },
            },
          },
        },
      },
    ]),
  );
}

/** The regions the account's side of its policies works in (RDS and KMS through RDS). */
export function replicationRegions(policies: readonly ReplicationPolicy[], accountId: string): string[] {
  return [
    ...new Set([
      ...replicationAsSource(policies, accountId).map((p) => p.source.region),
      ...replicationAsDestination(policies, accountId).flatMap(({ policy, destination }) => [
        policy.source.region,
        destinationRegion(policy, destination),
      ]),
    ]),
  ].sort();
}

/** A key's ARN for IAM: an alias is authorised on the key it points to (any key of that account and region). */
const keyArn = (key: string) => key.replace(/:alias\/.*$/, ':key/*');

/** A secret, as IAM names it: a name gets the six characters Secrets Manager appends. */
function secretArn(id: string, region: string, accountId: string): string {
  if (id.startsWith('arn:')) return /-[A-Za-z0-9]{6}$/.test(id) ? id : `${id}-??????`;
  return `arn:aws:secretsmanager:${region}:${accountId}:secret:${id}-??????`;
}

/** Shared snapshots of the source accounts this account copies from, by name (cross-account). */
function sharedSnapshotStatement(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): IamStatement | undefined {
  const sources = replicationAsDestination(policies, accountId).map(({ policy }) => policy);
  if (!sources.length) return undefined;
  const resources = [
    ...new Set(
      sources.map(
        (p) =>
          `arn:aws:rds:${p.source.region}:${p.source.account}:${p.kind === 'cluster' ? 'cluster-snapshot' : 'snapshot'}:${REPLICATION_SNAPSHOT_PREFIX}${p.name}-*`,
      ),
    ),
  ].sort();
  const kinds = new Set(sources.map((p) => p.kind));
  return {
    Sid: 'RdsSharedSnapshots',
    Effect: 'Allow',
    Action: [
      ...(kinds.has('instance') ? ['rds:CopyDBSnapshot', 'rds:DescribeDBSnapshots'] : []),
      ...(kinds.has('cluster') ? ['rds:CopyDBClusterSnapshot', 'rds:DescribeDBClusterSnapshots'] : []),
    ].sort(),
    Resource: resources,
  };
}

/**
 * The replication role's grants beyond the common ones: RDS (opted-in databases, `rewind-repl-*`
 * snapshots of its regions, the peers' shared snapshots by name), KMS on the keys the policies name and
 * only through RDS, and the secrets of its versioned destinations.
 */
export function replicationStatements(
  permissions: readonly string[],
  optIn: { key: string; value: string },
  policies: readonly ReplicationPolicy[],
  accountId: string | undefined,
): IamStatement[] {
  if (!accountId) {
    // No replication policy: nothing to replicate, nothing granted beyond reading.
    return rdsStatements(
      permissions.filter((a) => /^rds:Describe/.test(a)),
      optIn,
      'replication',
      [],
      { kms: false },
    );
  }
  const regions = replicationRegions(policies, accountId);
  const statements: IamStatement[] = rdsStatements(permissions, optIn, 'replication', regions, {
    kms: false,
    snapshotPrefix: REPLICATION_SNAPSHOT_PREFIX,
  });
  const shared = sharedSnapshotStatement(policies, accountId);
  if (shared) statements.push(shared);

  const { own } = replicationKeysOf(policies, accountId);
  if (own.length) {
    const resource = [...new Set(own.map((k) => keyArn(k.key)))].sort();
    const via = viaRds(own.map((k) => k.region));
    statements.push(
      {
        Sid: 'KmsOwnKeysViaRds',
        Effect: 'Allow',
        Action: KMS_USE_ACTIONS,
        Resource: resource,
        Condition: via,
      },
      {
        Sid: 'KmsOwnKeyGrantsViaRds',
        Effect: 'Allow',
        Action: ['kms:CreateGrant'],
        Resource: resource,
        Condition: { ...via, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    );
  }
  const sources = replicationAsSource(policies, accountId);
  if (sources.length) {
    // Which key encrypts the source database (the default aws/rds key cannot be shared): a read.
    statements.push({
      Sid: 'KmsDescribeSourceKeys',
      Effect: 'Allow',
      Action: ['kms:DescribeKey'],
      Resource: [...new Set(sources.map((p) => `arn:aws:kms:${p.source.region}:${accountId}:key/*`))].sort(),
    });
  }
  const seen = new Set<string>();
  for (const { policy } of replicationAsDestination(policies, accountId)) {
    for (const s of destinationIamStatements(policy)) {
      if (seen.has(s.Sid)) continue;
      seen.add(s.Sid);
      statements.push(s);
    }
  }
  const secrets = replicationAsDestination(policies, accountId).flatMap(({ policy, destination }) =>
    destination.mode === 'versioned' && destination.secret
      ? [secretArn(destination.secret.id, destinationRegion(policy, destination), accountId)]
      : [],
  );
  if (secrets.length) {
    statements.push({
      Sid: 'EndpointSecrets',
      Effect: 'Allow',
      Action: permissions.filter((a) => a.startsWith('secretsmanager:')).sort(),
      Resource: [...new Set(secrets)].sort(),
    });
  }
  return statements;
}
