import { join, ref, type Cfn } from './cfn';
import { tagOnCreateStatement, type IamStatement } from './rdsIam';

/**
 * IAM of the failover service: a DR plan moves primaries between regions, so its grants name resources
 * in every region of the account (`arn:<partition>:rds:*:<account>:...`); global clusters and global
 * datastores have ARNs without a region. What changes an existing database (a switchover's or failover's
 * target cluster, a promoted replica) is limited to databases carrying the opt-in tag; a replica a
 * failback creates must be created with that tag (and the run's id). The global cluster and datastore
 * themselves are scoped by type (the plan names them; intake checks their members' tags).
 */

const anyRegion = (service: string, resource: string): Cfn =>
  join('arn:', ref('AWS::Partition'), `:${service}:*:`, ref('AWS::AccountId'), `:${resource}`);
const global = (service: string, resource: string): Cfn =>
  join('arn:', ref('AWS::Partition'), `:${service}::`, ref('AWS::AccountId'), `:${resource}`);

/** Every grant the failover service can have: each action it may call, and how it is granted. */
function allDrStatements(optIn: { key: string; value: string }): IamStatement[] {
  const optedIn = { StringEquals: { [`aws:ResourceTag/${optIn.key}`]: optIn.value } };
  const createdOptedIn = { StringEquals: { [`aws:RequestTag/${optIn.key}`]: optIn.value } };
  const statements: IamStatement[] = [
    {
      Sid: 'DrRead',
      Effect: 'Allow',
      Action: [
        'rds:DescribeDBClusterSnapshots',
        'rds:DescribeDBClusters',
        'rds:DescribeDBInstances',
        'rds:DescribeGlobalClusters',
      ],
      Resource: [
        global('rds', 'global-cluster:*'),
        anyRegion('rds', 'cluster:*'),
        anyRegion('rds', 'db:*'),
        anyRegion('rds', 'cluster-snapshot:*'),
      ],
    },
    // The global cluster (its ARN has no region) and, below, its member that becomes the primary.
    {
      Sid: 'DrGlobalCluster',
      Effect: 'Allow',
      Action: ['rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
      Resource: global('rds', 'global-cluster:*'),
    },
    {
      Sid: 'DrTargetCluster',
      Effect: 'Allow',
      Action: ['rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
      Resource: anyRegion('rds', 'cluster:*'),
      Condition: optedIn,
    },
    {
      Sid: 'DrPromoteReplica',
      Effect: 'Allow',
      Action: ['rds:PromoteReadReplica'],
      Resource: anyRegion('rds', 'db:*'),
      Condition: optedIn,
    },
    // Failback: a new replica of the new primary, created with the opt-in tag (it has no tags before the
    // call, so the request's tag is what IAM can check; the request's tags apply to the source too, whose
    // own tag intake checked) ...
    {
      Sid: 'DrCreateReplica',
      Effect: 'Allow',
      Action: ['rds:CreateDBInstanceReadReplica'],
      Resource: anyRegion('rds', 'db:*'),
      Condition: createdOptedIn,
    },
    // ... and tagged at creation, as restore tags what it creates (rdsIam.ts: the opt-in tag and the run
    // id, on a database without an opt-in tag yet).
    tagOnCreateStatement(optIn, [anyRegion('rds', 'db:*')], 'DrTagNewReplica'),
    // The snapshot Aurora takes of an old primary after an unplanned failover, and its manual copy.
    {
      Sid: 'DrKeepSnapshot',
      Effect: 'Allow',
      Action: ['rds:CopyDBClusterSnapshot'],
      Resource: [
        anyRegion('rds', 'cluster-snapshot:rds:unplanned-global-failover-*'),
        anyRegion('rds', 'cluster-snapshot:unplanned-global-failover-*'),
        anyRegion('rds', 'cluster-snapshot:kept-*'),
      ],
    },
    // An encrypted replica: RDS creates a grant on the destination key on the caller's behalf.
    {
      Sid: 'DrReplicaKeys',
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: anyRegion('kms', 'key/*'),
      Condition: {
        StringLike: { 'kms:ViaService': 'rds.*.amazonaws.com' },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    },
    {
      Sid: 'DrCacheRead',
      Effect: 'Allow',
      Action: ['elasticache:DescribeGlobalReplicationGroups', 'elasticache:DescribeReplicationGroups'],
      Resource: [
        global('elasticache', 'globalreplicationgroup:*'),
        anyRegion('elasticache', 'replicationgroup:*'),
      ],
    },
    {
      Sid: 'DrCacheFailover',
      Effect: 'Allow',
      Action: ['elasticache:FailoverGlobalReplicationGroup'],
      Resource: [
        global('elasticache', 'globalreplicationgroup:*'),
        anyRegion('elasticache', 'replicationgroup:*'),
      ],
    },
    // Reading metrics has no resource-level permission.
    {
      Sid: 'DrReplicaLag',
      Effect: 'Allow',
      Action: ['cloudwatch:GetMetricStatistics'],
      Resource: '*',
    },
  ];
  return statements;
}

const actionsOf = (statements: IamStatement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])) as string[];

/** Every action the failover service may call (those `allDrStatements` scopes). */
export const DR_ACTIONS: readonly string[] = [
  ...new Set(actionsOf(allDrStatements({ key: 'k', value: 'v' }))),
];

export function drStatements(
  actions: readonly string[],
  optIn: { key: string; value: string },
): IamStatement[] {
  const unknown = actions.filter((a) => !DR_ACTIONS.includes(a));
  if (unknown.length) {
    throw new Error(`No IAM scope is defined for ${unknown.join(', ')}: add it to deploy/drIam.ts`);
  }
  // Only what the service calls.
  return allDrStatements(optIn)
    .map((s) => ({
      ...s,
      Action: (s.Action as string[]).filter((a) => actions.includes(a) || a.startsWith('kms:')),
    }))
    .filter(
      (s) =>
        s.Action.length > 0 &&
        (!s.Action[0]!.startsWith('kms:') || actions.includes('rds:CreateDBInstanceReadReplica')),
    );
}
