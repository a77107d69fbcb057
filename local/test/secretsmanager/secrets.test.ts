/** The Secrets Manager emulator through the real SDK: versions and stages, deletion, accounts, state. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import { ACCOUNT_B, errorOf } from '../regions/places';

let cloud: LocalCloud;
const stateDir = mkdtempSync(join(tmpdir(), 'rewind-secrets-'));
const client = (accessKeyId = 'test', region = 'us-east-1') =>
  new SecretsManagerClient({
    endpoint: cloud.endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: 'test' },
  });

beforeAll(async () => {
  cloud = await spawnLocalCloud({ provision: false, functions: false, stateDir });
});
afterAll(async () => {
  await cloud?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

test('a new value becomes AWSCURRENT and the old one AWSPREVIOUS; a repeated token is idempotent', async () => {
  const sm = client();
  const created = await sm.send(
    new CreateSecretCommand({
      Name: 'app/db',
      SecretString: '{"host":"db-1"}',
      Tags: [{ Key: 'team', Value: 'a' }],
    }),
  );
  expect(created.ARN).toMatch(
    /^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/db-[A-Za-z0-9]{6}$/,
  );

  const put = {
    SecretId: 'app/db',
    SecretString: '{"host":"db-2"}',
    ClientRequestToken: 'token-0000000000000000000000000002',
  };
  const second = await sm.send(new PutSecretValueCommand(put));
  expect(await sm.send(new PutSecretValueCommand(put))).toMatchObject({ VersionId: second.VersionId });
  expect(
    await errorOf(sm.send(new PutSecretValueCommand({ ...put, SecretString: '{"host":"db-3"}' }))),
  ).toMatchObject({ name: 'ResourceExistsException' });

  const current = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
  expect(current).toMatchObject({ SecretString: '{"host":"db-2"}', VersionStages: ['AWSCURRENT'] });
  const previous = await sm.send(
    new GetSecretValueCommand({ SecretId: 'app/db', VersionStage: 'AWSPREVIOUS' }),
  );
  expect(previous.SecretString).toBe('{"host":"db-1"}');
  // The ARN without its random suffix names the secret too.
  const partial = created.ARN!.slice(0, -7);
  expect((await sm.send(new DescribeSecretCommand({ SecretId: partial }))).Name).toBe('app/db');

  await sm.send(
    new UpdateSecretCommand({ SecretId: 'app/db', SecretString: '{"host":"db-3"}', Description: 'endpoint' }),
  );
  const described = await sm.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
  expect(described.Description).toBe('endpoint');
  expect(
    Object.values(described.VersionIdsToStages ?? {})
      .flat()
      .sort(),
  ).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  expect(
    await errorOf(sm.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'x' }))),
  ).toMatchObject({ name: 'ResourceExistsException' });
});

test('deletion waits out its recovery window unless forced, and is refused to readers meanwhile', async () => {
  const sm = client();
  await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'v1' }));
  const deleted = await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
  expect(deleted.DeletionDate!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
  expect(await errorOf(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' })))).toMatchObject({
    name: 'InvalidRequestException',
    message: expect.stringMatching(/marked for deletion.*RestoreSecret/),
  });
  expect((await sm.send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name)).not.toContain('doomed');
  await sm.send(new RestoreSecretCommand({ SecretId: 'doomed' }));
  expect((await sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).SecretString).toBe('v1');

  await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', ForceDeleteWithoutRecovery: true }));
  expect(await errorOf(sm.send(new DescribeSecretCommand({ SecretId: 'doomed' })))).toMatchObject({
    name: 'ResourceNotFoundException',
  });
  expect(
    await errorOf(sm.send(new DeleteSecretCommand({ SecretId: 'app/db', RecoveryWindowInDays: 3 }))),
  ).toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/between 7 and 30/) });
});

test('secrets are kept per account and region; another account cannot read one by its ARN', async () => {
  const arn = (await client().send(new DescribeSecretCommand({ SecretId: 'app/db' }))).ARN!;
  expect(
    await errorOf(client(ACCOUNT_B).send(new GetSecretValueCommand({ SecretId: 'app/db' }))),
  ).toMatchObject({
    name: 'ResourceNotFoundException',
  });
  expect(await errorOf(client(ACCOUNT_B).send(new GetSecretValueCommand({ SecretId: arn })))).toMatchObject({
    name: 'AccessDeniedException',
  });
  expect(
    await errorOf(client('test', 'us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' }))),
  ).toMatchObject({
    name: 'ResourceNotFoundException',
  });
});

test('secrets survive a restart with --state-dir', async () => {
  await cloud.stop();
  cloud = await spawnLocalCloud({ provision: false, functions: false, stateDir });
  const value = await client().send(new GetSecretValueCommand({ SecretId: 'app/db' }));
  expect(value.SecretString).toBe('{"host":"db-3"}');
});
