/**
 * Accounts through the edge with the real SDK: each access key is an account with its own resources;
 * a shared snapshot is visible to the other account (`shared` / `IncludeShared`) and copied by ARN with
 * that account's key; a snapshot encrypted with the default `aws/rds` key cannot be used by another
 * account; KMS key policies and grants decide (aws-facts-copies-dr.md §3).
 */
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  RestoreDBClusterFromSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBSnapshotAttributeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  ACCOUNT_C,
  clientsFor,
  errorOf,
  eventIdsOf,
  eventually,
  type Clients,
} from './places';

let cloud: LocalCloud;
let a: Clients;
let b: Clients;
let c: Clients;

beforeAll(async () => {
  cloud = await spawnLocalCloud({
    provision: false,
    functions: false,
    // B by its 12-digit access key; C through the accounts map.
    accounts: { AKIACCOUNTC: ACCOUNT_C },
    rds: { profile: 'realistic', timeScale: 0.0005, throttle: { enabled: false } },
  });
  a = clientsFor(cloud.endpoint, 'test', 'us-east-1');
  b = clientsFor(cloud.endpoint, ACCOUNT_B, 'us-east-1');
  c = clientsFor(cloud.endpoint, 'AKIACCOUNTC', 'us-east-1');
});
afterAll(async () => {
  for (const x of [a, b, c]) x?.destroy();
  await cloud?.stop();
});

/** A's key whose policy lets `other` use it through RDS (as the RDS user guide's sharing example). */
async function keySharedWith(other: string): Promise<string> {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'owner',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT_A}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'use by the other account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${other}:root` },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        Resource: '*',
      },
      {
        Sid: 'grants for RDS',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${other}:root` },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      },
    ],
  };
  const { KeyMetadata } = await a.kms.send(
    new CreateKeyCommand({ Description: 'shared snapshots', Policy: JSON.stringify(policy) }),
  );
  return KeyMetadata?.Arn as string;
}

async function snapshot(
  id: string,
  encryption: { KmsKeyId?: string; StorageEncrypted?: boolean },
): Promise<string> {
  await a.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'mysql',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      AllocatedStorage: 20,
      ...encryption,
    }),
  );
  await eventually(
    () => a.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
  const { DBSnapshot } = await a.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: `${id}-snap` }),
  );
  await eventually(
    () => a.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: `${id}-snap` })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  return DBSnapshot?.DBSnapshotArn as string;
}

const share = (id: string, values: string[]) =>
  a.rds.send(
    new ModifyDBSnapshotAttributeCommand({
      DBSnapshotIdentifier: id,
      AttributeName: 'restore',
      ValuesToAdd: values,
    }),
  );

it('each account has its own resources', async () => {
  await snapshot('accounts-a', {});
  expect((await b.rds.send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
  const inA = (await a.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'accounts-a' })))
    .DBInstances?.[0];
  expect(inA?.DBInstanceArn).toBe(`arn:aws:rds:us-east-1:${ACCOUNT_A}:db:accounts-a`);
  // Another account: another endpoint hash.
  await b.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'accounts-a',
      Engine: 'mysql',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      AllocatedStorage: 20,
    }),
  );
  const inB = await eventually(
    () => b.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'accounts-a' })),
    (r) => r.DBInstances?.[0]?.Endpoint !== undefined,
  );
  expect(inB.DBInstances?.[0]?.DBInstanceArn).toBe(`arn:aws:rds:us-east-1:${ACCOUNT_B}:db:accounts-a`);
  expect(inB.DBInstances?.[0]?.Endpoint?.Address).not.toBe(inA?.Endpoint?.Address);
});

it('a shared snapshot is visible to the other account, which copies it by ARN with its own key', async () => {
  const keyArn = await keySharedWith(ACCOUNT_B);
  const arn = await snapshot('payments', { StorageEncrypted: true, KmsKeyId: keyArn });
  // Not shared yet: B cannot see it, even by ARN.
  expect((await b.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'shared' }))).DBSnapshots).toEqual(
    [],
  );
  expect(
    (await errorOf(b.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: arn }))))?.name,
  ).toBe('DBSnapshotNotFound');

  const all = await errorOf(share('payments-snap', ['all']));
  expect(all).toEqual({ name: 'InvalidParameterValue', message: expect.stringContaining('encrypted') });
  await share('payments-snap', [ACCOUNT_B]);
  const attrs = await a.rds.send(
    new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'payments-snap' }),
  );
  expect(attrs.DBSnapshotAttributesResult?.DBSnapshotAttributes).toEqual([
    { AttributeName: 'restore', AttributeValues: [ACCOUNT_B] },
  ]);

  const shared =
    (await b.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'shared' }))).DBSnapshots ?? [];
  expect(shared.map((s) => [s.DBSnapshotArn, s.SnapshotType, s.KmsKeyId])).toEqual([[arn, 'shared', keyArn]]);
  const included =
    (await b.rds.send(new DescribeDBSnapshotsCommand({ IncludeShared: true }))).DBSnapshots ?? [];
  expect(included.map((s) => s.DBSnapshotArn)).toContain(arn);
  expect(
    (await b.rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots?.map((s) => s.DBSnapshotArn),
  ).not.toContain(arn);
  // C was not given it.
  expect((await c.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'shared' }))).DBSnapshots).toEqual(
    [],
  );

  // Shared and encrypted: no direct restore, and a copy needs B's own key.
  const restore = await errorOf(
    b.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: 'payments',
        DBSnapshotIdentifier: arn,
      }),
    ),
  );
  expect(restore?.name).toBe('InvalidParameterCombination');
  const noKey = await errorOf(
    b.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: arn,
        TargetDBSnapshotIdentifier: 'payments-copy',
      }),
    ),
  );
  expect(noKey).toEqual({
    name: 'KMSKeyNotAccessibleFault',
    message: expect.stringContaining('target KMS key [None]'),
  });
  const bKey = (await b.kms.send(new CreateKeyCommand({ Description: 'B copies' }))).KeyMetadata?.Arn;
  const { DBSnapshot: copy } = await b.rds.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: arn,
      TargetDBSnapshotIdentifier: 'payments-copy',
      KmsKeyId: bKey,
    }),
  );
  expect(copy).toMatchObject({
    DBSnapshotArn: `arn:aws:rds:us-east-1:${ACCOUNT_B}:snapshot:payments-copy`,
    KmsKeyId: bKey,
    Status: 'creating',
  });
  await eventually(
    () => b.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'payments-copy' })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  // A copy in the same region of the target account is a local copy there.
  expect(await eventIdsOf(cloud.endpoint, 'payments-copy', ACCOUNT_B, 'us-east-1')).toEqual([
    'RDS-EVENT-0196',
    'RDS-EVENT-0197',
  ]);
});

it('another account cannot use a snapshot encrypted with the default aws/rds key', async () => {
  const arn = await snapshot('ledger', { StorageEncrypted: true });
  const own = (await a.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'ledger-snap' })))
    .DBSnapshots?.[0];
  const managed = (await a.kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/rds' }))).KeyMetadata;
  expect(own?.KmsKeyId).toBe(managed?.Arn);
  expect(managed?.KeyManager).toBe('AWS');
  // Sharing succeeds, as in AWS; the other account's copy is what fails.
  await share('ledger-snap', [ACCOUNT_B]);
  const bKey = (await b.kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn;
  const refused = await errorOf(
    b.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: arn,
        TargetDBSnapshotIdentifier: 'ledger-copy',
        KmsKeyId: bKey,
      }),
    ),
  );
  expect(refused).toEqual({
    name: 'KMSKeyNotAccessibleFault',
    message: `The source snapshot KMS key [${managed?.Arn}] does not exist, is not enabled or you do not have permissions to access it.`,
  });
  // Nor can its policy be opened up.
  const open = await errorOf(
    a.kms.send(
      new PutKeyPolicyCommand({ KeyId: managed?.Arn, PolicyName: 'default', Policy: '{"Statement":[]}' }),
    ),
  );
  expect(open?.name).toBe('AccessDeniedException');
});

it('a key policy or a grant lets another account use a customer managed key', async () => {
  const { KeyMetadata: key } = await a.kms.send(new CreateKeyCommand({ Description: 'grants' }));
  await a.kms.send(new CreateAliasCommand({ AliasName: 'alias/grants', TargetKeyId: key?.KeyId }));
  expect(
    (await a.kms.send(new ListAliasesCommand({ KeyId: key?.KeyId }))).Aliases?.map((x) => x.AliasName),
  ).toEqual(['alias/grants']);
  const policy = JSON.parse(
    (await a.kms.send(new GetKeyPolicyCommand({ KeyId: key?.KeyId, PolicyName: 'default' }))).Policy ?? '{}',
  );
  expect(policy.Statement[0].Principal).toEqual({ AWS: `arn:aws:iam::${ACCOUNT_A}:root` });

  const denied = await errorOf(c.kms.send(new DescribeKeyCommand({ KeyId: key?.Arn })));
  expect(denied?.name).toBe('AccessDeniedException');
  await a.kms.send(
    new CreateGrantCommand({
      KeyId: key?.KeyId,
      GranteePrincipal: `arn:aws:iam::${ACCOUNT_C}:root`,
      Operations: ['DescribeKey', 'Decrypt', 'CreateGrant'],
    }),
  );
  expect((await c.kms.send(new DescribeKeyCommand({ KeyId: key?.Arn }))).KeyMetadata?.AWSAccountId).toBe(
    ACCOUNT_A,
  );

  // With the grant, C copies a snapshot encrypted with that key once it is shared.
  const arn = await snapshot('granted', { KmsKeyId: 'alias/grants' });
  await share('granted-snap', [ACCOUNT_C]);
  const cKey = (await c.kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
  const { DBSnapshot } = await c.rds.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: arn,
      TargetDBSnapshotIdentifier: 'granted-copy',
      KmsKeyId: cKey,
    }),
  );
  expect(DBSnapshot?.DBSnapshotArn).toBe(`arn:aws:rds:us-east-1:${ACCOUNT_C}:snapshot:granted-copy`);
});

it('sharing limits: manual snapshots only, 12-digit accounts, at most 20 accounts; public snapshots', async () => {
  await snapshot('limits', {});
  const automated = (
    await a.rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'limits', SnapshotType: 'automated' }),
    )
  ).DBSnapshots?.[0];
  const refused = await errorOf(share(automated?.DBSnapshotIdentifier as string, [ACCOUNT_B]));
  expect(refused).toEqual({
    name: 'InvalidDBSnapshotState',
    message: expect.stringContaining('copy it to a manual'),
  });
  expect((await errorOf(share('limits-snap', ['12345'])))?.name).toBe('InvalidParameterValue');
  const many = Array.from({ length: 21 }, (_, i) => String(100000000000 + i));
  expect((await errorOf(share('limits-snap', many)))?.name).toBe('SharedSnapshotQuotaExceeded');
  await share('limits-snap', ['all']);
  const pub =
    (await c.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'public' }))).DBSnapshots ?? [];
  expect(pub.map((s) => [s.DBSnapshotIdentifier, s.SnapshotType])).toEqual([['limits-snap', 'public']]);
  const sharedWithC = (await c.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'shared' })))
    .DBSnapshots;
  expect(sharedWithC?.map((s) => s.DBSnapshotIdentifier)).toEqual(['granted-snap']);
});

it('a shared encrypted cluster snapshot: restored directly by the other account with key access, not copied across regions', async () => {
  const keyArn = await keySharedWith(ACCOUNT_B);
  await a.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'shared-ledger',
      Engine: 'aurora-postgresql',
      MasterUsername: 'app',
      StorageEncrypted: true,
      KmsKeyId: keyArn,
    }),
  );
  await eventually(
    () => a.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'shared-ledger' })),
    (r) => r.DBClusters?.[0]?.Status === 'available',
  );
  const { DBClusterSnapshot } = await a.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: 'shared-ledger',
      DBClusterSnapshotIdentifier: 'shared-ledger-snap',
    }),
  );
  await eventually(
    () =>
      a.rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'shared-ledger-snap' }),
      ),
    (r) => r.DBClusterSnapshots?.[0]?.Status === 'available',
  );
  await a.rds.send(
    new ModifyDBClusterSnapshotAttributeCommand({
      DBClusterSnapshotIdentifier: 'shared-ledger-snap',
      AttributeName: 'restore',
      ValuesToAdd: [ACCOUNT_B],
    }),
  );
  const arn = DBClusterSnapshot?.DBClusterSnapshotArn as string;
  const listed = (await b.rds.send(new DescribeDBClusterSnapshotsCommand({ IncludeShared: true })))
    .DBClusterSnapshots;
  expect(listed?.map((s) => [s.DBClusterSnapshotArn, s.SnapshotType])).toEqual([[arn, 'shared']]);
  const { DBCluster } = await b.rds.send(
    new RestoreDBClusterFromSnapshotCommand({
      DBClusterIdentifier: 'ledger-in-b',
      SnapshotIdentifier: arn,
      Engine: 'aurora-postgresql',
    }),
  );
  expect(DBCluster?.DBClusterArn).toBe(`arn:aws:rds:us-east-1:${ACCOUNT_B}:cluster:ledger-in-b`);
  const bWest = clientsFor(cloud.endpoint, ACCOUNT_B, 'us-west-2');
  try {
    const across = await errorOf(
      bWest.rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: arn,
          TargetDBClusterSnapshotIdentifier: 'x',
        }),
      ),
    );
    expect(across).toEqual({
      name: 'InvalidParameterCombination',
      message: expect.stringContaining('single step'),
    });
  } finally {
    bWest.destroy();
  }
});
