import {
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import {
  createInstance,
  eventually,
  describeInstance,
  instanceUntil,
  useHarness,
  type Harness,
} from './harness';

let h: Harness;
useHarness((x) => (h = x));

test('ManageMasterUserPassword: a secret per instance; a restore comes back without it; turning it on makes a new one', async () => {
  await createInstance(h, 'managed', { ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: 'key-1' });
  const original = await instanceUntil(h, 'managed', 'available');
  expect(original.MasterUserSecret).toMatchObject({ SecretStatus: 'active', KmsKeyId: 'key-1' });
  expect(original.MasterUserSecret?.SecretArn).toMatch(
    /^arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-/,
  );

  await h.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'managed', DBSnapshotIdentifier: 'managed-snap' }),
  );
  await eventually(
    () => h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'managed-snap' })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  await h.client.send(
    new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'restored',
      DBSnapshotIdentifier: 'managed-snap',
    }),
  );
  expect((await instanceUntil(h, 'restored', 'available')).MasterUserSecret).toBeUndefined();

  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'restored',
      ManageMasterUserPassword: true,
      MasterUserSecretKmsKeyId: 'key-1',
      ApplyImmediately: true,
    }),
  );
  const managed = await eventually(
    () => describeInstance(h, 'restored'),
    (i) => i.MasterUserSecret !== undefined && i.DBInstanceStatus === 'available',
  );
  expect(managed.MasterUserSecret?.KmsKeyId).toBe('key-1');
  expect(managed.MasterUserSecret?.SecretArn).not.toBe(original.MasterUserSecret?.SecretArn);
});

test('ManageMasterUserPassword with MasterUserPassword is refused', async () => {
  await expect(
    createInstance(h, 'both', { ManageMasterUserPassword: true, MasterUserPassword: 'secret123' }),
  ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
});
