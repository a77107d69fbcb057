import type { RdsResourceFacts } from '../../src/rds';
import { authorizationRequests } from '../../src/iam/requestContext';
import type { LocalRequest } from '../../src/types';

const ARN = (type: string, id: string) => `arn:aws:rds:us-east-1:000000000000:${type}:${id}`;
const facts: Record<string, RdsResourceFacts> = {
  [ARN('db', 'orders-db')]: {
    tags: [{ Key: 'rewind:allow', Value: 'true' }],
    copyTagsToSnapshot: true,
  },
  [ARN('snapshot', 'vault-snap')]: { tags: [], kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/vault' },
  [ARN('snapshot', 'default-key-snap')]: {
    tags: [],
    kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:alias/aws/rds',
  },
};
const sources = { region: 'us-east-1', accountId: '000000000000', rdsResource: (arn: string) => facts[arn] };

function form(params: Record<string, string>): LocalRequest {
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(new URLSearchParams(params).toString()),
  };
}

function json(target: string, body: unknown): LocalRequest {
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body: Buffer.from(JSON.stringify(body)),
  };
}

describe('what IAM authorises for a request', () => {
  test('each existing resource with its own tags; a new one without', () => {
    const needed = authorizationRequests(
      'rds',
      form({ Action: 'CreateDBSnapshot', DBInstanceIdentifier: 'Orders-DB', DBSnapshotIdentifier: 'snap-1' }),
      sources,
    );
    expect(needed?.slice(0, 2)).toEqual([
      {
        action: 'rds:CreateDBSnapshot',
        resource: ARN('db', 'orders-db'),
        context: { 'aws:ResourceTag/rewind:allow': 'true', 'rds:db-tag/rewind:allow': 'true' },
      },
      { action: 'rds:CreateDBSnapshot', resource: ARN('snapshot', 'snap-1'), context: {} },
    ]);
  });

  test('tags copied to a final snapshot (CopyTagsToSnapshot) are authorised as AddTagsToResource on it', () => {
    const needed = authorizationRequests(
      'rds',
      form({
        Action: 'DeleteDBInstance',
        DBInstanceIdentifier: 'orders-db',
        FinalDBSnapshotIdentifier: 'final-1',
      }),
      sources,
    );
    expect(needed?.map((r) => [r.action, r.resource])).toEqual([
      ['rds:DeleteDBInstance', ARN('db', 'orders-db')],
      ['rds:DeleteDBInstance', ARN('snapshot', 'final-1')],
      ['rds:AddTagsToResource', ARN('snapshot', 'final-1')],
    ]);
    expect(needed?.[2]?.context).toMatchObject({
      'aws:RequestTag/rewind:allow': 'true',
      'aws:TagKeys': ['rewind:allow'],
    });
  });

  test('tags given at creation are authorised as AddTagsToResource on the new database', () => {
    const needed = authorizationRequests(
      'rds',
      form({
        Action: 'CreateDBInstance',
        DBInstanceIdentifier: 'ledger-1',
        DBClusterIdentifier: 'ledger',
        'Tags.Tag.1.Key': 'rewind:allow',
        'Tags.Tag.1.Value': 'true',
        'Tags.Tag.2.Key': 'rewind:run-id',
        'Tags.Tag.2.Value': 'run-1',
      }),
      sources,
    );
    const tagging = needed?.find((r) => r.action === 'rds:AddTagsToResource');
    expect(tagging).toEqual({
      action: 'rds:AddTagsToResource',
      resource: ARN('db', 'ledger-1'),
      context: {
        'aws:TagKeys': ['rewind:allow', 'rewind:run-id'],
        'aws:RequestTag/rewind:allow': 'true',
        'rds:req-tag/rewind:allow': 'true',
        'aws:RequestTag/rewind:run-id': 'run-1',
        'rds:req-tag/rewind:run-id': 'run-1',
      },
    });
  });

  test("a restore from a snapshot encrypted with a customer-managed key needs the key's grant via RDS", () => {
    const restore = (snapshot: string) =>
      authorizationRequests(
        'rds',
        form({
          Action: 'RestoreDBInstanceFromDBSnapshot',
          DBInstanceIdentifier: 'v',
          DBSnapshotIdentifier: snapshot,
        }),
        sources,
      )!.filter((r) => r.action.startsWith('kms:'));
    expect(restore('vault-snap')).toEqual([
      {
        action: 'kms:DescribeKey',
        resource: 'arn:aws:kms:us-east-1:000000000000:key/vault',
        context: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'kms:CallerAccount': '000000000000' },
      },
      {
        action: 'kms:CreateGrant',
        resource: 'arn:aws:kms:us-east-1:000000000000:key/vault',
        context: {
          'kms:ViaService': 'rds.us-east-1.amazonaws.com',
          'kms:CallerAccount': '000000000000',
          'kms:GrantIsForAWSResource': 'true',
        },
      },
    ]);
    expect(restore('default-key-snap')).toEqual([]);
  });

  test('PutEvents: one authorisation per bus, events:source with every entry source', () => {
    const needed = authorizationRequests(
      'events',
      json('AWSEvents.PutEvents', {
        Entries: [
          { EventBusName: 'rewind-local', Source: 'rewind', DetailType: 'A' },
          { EventBusName: 'rewind-local', Source: 'other', DetailType: 'B' },
          { Source: 'rewind', DetailType: 'C' },
        ],
      }),
      sources,
    );
    expect(needed).toEqual([
      {
        action: 'events:PutEvents',
        resource: 'arn:aws:events:us-east-1:000000000000:event-bus/rewind-local',
        context: { 'events:source': ['rewind', 'other'], 'events:detail-type': ['A', 'B'] },
      },
      {
        action: 'events:PutEvents',
        resource: 'arn:aws:events:us-east-1:000000000000:event-bus/default',
        context: { 'events:source': ['rewind'], 'events:detail-type': ['C'] },
      },
    ]);
  });

  test('DynamoDB queries on an index and SQS batches name the resource and the action IAM knows', () => {
    expect(
      authorizationRequests(
        'dynamodb',
        json('DynamoDB_20120810.Query', { TableName: 't', IndexName: 'by-status' }),
        sources,
      ),
    ).toEqual([
      {
        action: 'dynamodb:Query',
        resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/index/by-status',
        context: {},
      },
    ]);
    expect(
      authorizationRequests(
        'sqs',
        json('AmazonSQS.SendMessageBatch', { QueueUrl: 'http://127.0.0.1:4566/000000000000/inbox' }),
        sources,
      ),
    ).toEqual([
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:inbox', context: {} },
    ]);
  });

  test('DR calls: the global cluster (ARN without a region) and the member named; ElastiCache groups and global datastores', () => {
    const target = 'arn:aws:rds:us-west-2:000000000000:cluster:orders-west';
    expect(
      authorizationRequests(
        'rds',
        form({
          Action: 'SwitchoverGlobalCluster',
          GlobalClusterIdentifier: 'orders',
          TargetDbClusterIdentifier: target,
        }),
        sources,
      ),
    ).toEqual([
      {
        action: 'rds:SwitchoverGlobalCluster',
        resource: 'arn:aws:rds::000000000000:global-cluster:orders',
        context: {},
      },
      { action: 'rds:SwitchoverGlobalCluster', resource: target, context: {} },
    ]);
    expect(
      authorizationRequests(
        'elasticache',
        form({
          Action: 'FailoverGlobalReplicationGroup',
          GlobalReplicationGroupId: 'abcde-sessions',
          PrimaryRegion: 'us-west-2',
          PrimaryReplicationGroupId: 'sessions-west',
        }),
        sources,
      ),
    ).toEqual([
      {
        action: 'elasticache:FailoverGlobalReplicationGroup',
        resource: 'arn:aws:elasticache::000000000000:globalreplicationgroup:abcde-sessions',
        context: {},
      },
    ]);
    expect(
      authorizationRequests('elasticache', form({ Action: 'DescribeReplicationGroups' }), sources),
    ).toEqual([{ action: 'elasticache:DescribeReplicationGroups', resource: '*', context: {} }]);
    expect(
      authorizationRequests('monitoring', json('GraniteServiceVersion20100801.GetMetricData', {}), sources),
    ).toEqual([{ action: 'cloudwatch:GetMetricData', resource: '*', context: {} }]);
  });
});

describe('snapshot lifecycle calls', () => {
  const via = { 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'kms:CallerAccount': '000000000000' };
  const key = 'arn:aws:kms:us-west-2:000000000000:key/dr';

  test('a cross-region copy, called in the destination: the source ARN as given, the new copy there, the grant on its key', () => {
    const source = 'arn:aws:rds:us-east-1:000000000000:snapshot:vault-snap';
    const needed = authorizationRequests(
      'rds',
      {
        ...form({
          Action: 'CopyDBSnapshot',
          SourceDBSnapshotIdentifier: source,
          TargetDBSnapshotIdentifier: 'vault-dr',
          KmsKeyId: key,
        }),
        caller: { accountId: '000000000000', region: 'us-west-2' },
      },
      sources,
    );
    expect(needed?.map((r) => [r.action, r.resource])).toEqual([
      ['rds:CopyDBSnapshot', source],
      ['rds:CopyDBSnapshot', 'arn:aws:rds:us-west-2:000000000000:snapshot:vault-dr'],
      ['kms:DescribeKey', key],
      ['kms:CreateGrant', key],
    ]);
    expect(needed?.[2]?.context).toEqual({ ...via, 'kms:ViaService': 'rds.us-west-2.amazonaws.com' });
  });

  test('an export: the snapshot, passing its role to RDS, and the grant on its key', () => {
    const needed = authorizationRequests(
      'rds',
      form({
        Action: 'StartExportTask',
        ExportTaskIdentifier: 'e-1',
        SourceArn: ARN('snapshot', 'vault-snap'),
        S3BucketName: 'exports',
        IamRoleArn: 'arn:aws:iam::000000000000:role/export',
        KmsKeyId: key,
      }),
      sources,
    );
    expect(needed).toEqual([
      { action: 'rds:StartExportTask', resource: ARN('snapshot', 'vault-snap'), context: {} },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::000000000000:role/export',
        context: { 'iam:PassedToService': 'rds.amazonaws.com' },
      },
      { action: 'kms:DescribeKey', resource: key, context: via },
      { action: 'kms:CreateGrant', resource: key, context: { ...via, 'kms:GrantIsForAWSResource': 'true' } },
    ]);
  });

  test('a schedule: the operation on the schedule in its group, and passing the target role', () => {
    const req: LocalRequest = {
      method: 'POST',
      path: '/schedules/nightly',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({ GroupName: 'rewind', Target: { RoleArn: 'arn:aws:iam::000000000000:role/s' } }),
      ),
    };
    expect(authorizationRequests('scheduler', req, sources)).toEqual([
      {
        action: 'scheduler:CreateSchedule',
        resource: 'arn:aws:scheduler:us-east-1:000000000000:schedule/rewind/nightly',
        context: {},
      },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::000000000000:role/s',
        context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      },
    ]);
    expect(
      authorizationRequests(
        'scheduler',
        { ...req, method: 'GET', path: '/schedules', body: Buffer.alloc(0) },
        sources,
      ),
    ).toEqual([{ action: 'scheduler:ListSchedules', resource: '*', context: {} }]);
  });
});

describe('cross-account replication calls', () => {
  const KEY = 'arn:aws:kms:us-east-1:111111111111:key/shared-1';
  const SECRET = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:staging/orders-AbC123';
  const withLookups = {
    ...sources,
    kmsKeyArn: (ref: string) =>
      ['alias/shared', 'arn:aws:kms:us-east-1:111111111111:alias/shared'].includes(ref) ? KEY : undefined,
    secretArn: (id: string) => (id === 'staging/orders' ? SECRET : undefined),
  };

  test('a KMS call on an alias is authorised on the key it names; a call on no key on "*"', () => {
    for (const KeyId of ['alias/shared', 'arn:aws:kms:us-east-1:111111111111:alias/shared'])
      expect(authorizationRequests('kms', json('TrentService.DescribeKey', { KeyId }), withLookups)).toEqual([
        { action: 'kms:DescribeKey', resource: KEY, context: { 'kms:CallerAccount': '000000000000' } },
      ]);
    expect(authorizationRequests('kms', json('TrentService.ListAliases', {}), withLookups)).toEqual([
      { action: 'kms:ListAliases', resource: '*', context: { 'kms:CallerAccount': '000000000000' } },
    ]);
  });

  test("a copy with a key named by alias asks for RDS's grant on the key itself", () => {
    const needed = authorizationRequests(
      'rds',
      form({
        Action: 'CopyDBSnapshot',
        SourceDBSnapshotIdentifier: 'arn:aws:rds:us-east-1:111111111111:snapshot:shared-1',
        TargetDBSnapshotIdentifier: 'copy-1',
        KmsKeyId: 'alias/shared',
      }),
      withLookups,
    );
    expect(needed?.filter((r) => r.action.startsWith('kms:')).map((r) => [r.action, r.resource])).toEqual([
      ['kms:DescribeKey', KEY],
      ['kms:CreateGrant', KEY],
    ]);
  });

  test('a secret by name is authorised on its full ARN; one not created yet on <name>-??????', () => {
    expect(
      authorizationRequests(
        'secretsmanager',
        json('secretsmanager.GetSecretValue', { SecretId: 'staging/orders' }),
        withLookups,
      ),
    ).toEqual([{ action: 'secretsmanager:GetSecretValue', resource: SECRET, context: {} }]);
    expect(
      authorizationRequests(
        'secretsmanager',
        json('secretsmanager.CreateSecret', { Name: 'staging/new' }),
        withLookups,
      ),
    ).toEqual([
      {
        action: 'secretsmanager:CreateSecret',
        resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:staging/new-??????',
        context: {},
      },
    ]);
  });

  test('sharing a snapshot is authorised on the snapshot', () => {
    const needed = authorizationRequests(
      'rds',
      form({
        Action: 'ModifyDBSnapshotAttribute',
        DBSnapshotIdentifier: 'rewind-repl-orders-1',
        AttributeName: 'restore',
        'ValuesToAdd.member.1': '222222222222',
      }),
      sources,
    );
    expect(needed?.map((r) => [r.action, r.resource])).toEqual([
      ['rds:ModifyDBSnapshotAttribute', ARN('snapshot', 'rewind-repl-orders-1')],
    ]);
  });
});
