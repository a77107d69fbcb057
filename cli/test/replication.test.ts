import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { stateTableDefinition } from '@rewind/shared';
import { json, rewindIn, startCloud } from './helpers';

/**
 * `rewind replicate` and `rewind replication status | key-policy` against a spawned local cloud: the
 * request really reaches the source account's bus (a rule of the test catches it), and the jobs are read
 * from the state tables of both accounts (the peer account's table is created in that account: on the
 * local cloud an account's access key is its id). The jobs are written as the replication service writes
 * them (`REPLSRC#...`, `REPLDST#...`, services/replication).
 */

let env: Awaited<ReturnType<typeof startCloud>>;
let endpoint: string;
let dir: string;
let config: string;
let account: string;
const PEER = '222222222222';
const OTHER = '333333333333';
const rewind = (...args: string[]) => rewindIn(endpoint, args);

const destination = (acct: string, identifier: string) => ({
  account: acct,
  kmsKeyId: `arn:aws:kms:us-east-1:${acct}:key/0b7d5e2a-93c4-4f6b-8e1d-5a2c7f9e4b10`,
  mode: 'in-place',
  identifier,
});

beforeAll(async () => {
  env = await startCloud();
  endpoint = env.cloud.endpoint;
  account = env.cloud.identity.accountId;
  dir = mkdtempSync(join(tmpdir(), 'rewind-repl-cli-'));
  config = join(dir, 'rewind.config.json');
  const source = {
    account,
    region: 'us-east-1',
    identifier: 'orders-db',
    kmsKeyId: `arn:aws:kms:us-east-1:${account}:key/6f1c2b8e-0a4d-4c1e-9a53-2d7e3f0b9c41`,
  };
  writeFileSync(
    config,
    JSON.stringify({
      replication: [
        { name: 'orders-to-staging', source, destinations: [destination(PEER, 'orders-staging')] },
        { name: 'orders-to-qa', source, destinations: [destination(OTHER, 'orders-qa')] },
        { name: 'orders-to-qa-too', source, destinations: [destination(OTHER, 'orders-qa2')] },
      ],
    }),
  );
}, 120_000);
afterAll(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const doc = () => DynamoDBDocumentClient.from(env.clients.dynamo);

describe('rewind replicate', () => {
  test('publishes ReplicationRequested for the policy and destination on the source account bus', async () => {
    // A rule of the test's own catches the request on the bus.
    const { sqs, events } = env.clients;
    const names = env.cloud.names;
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'repl-cli-test' }))).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    const rule = await events.send(
      new PutRuleCommand({
        Name: 'repl-cli-test',
        EventBusName: names.busName,
        EventPattern: JSON.stringify({ source: ['rewind.cli'], 'detail-type': ['ReplicationRequested'] }),
      }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': rule.RuleArn } },
              },
            ],
          }),
        },
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'repl-cli-test',
        EventBusName: names.busName,
        Targets: [{ Id: 'q', Arn: queueArn }],
      }),
    );

    const r = await rewind(
      'replicate',
      'orders-db',
      '--to',
      PEER,
      '--config',
      config,
      '--request-id',
      'cli-test-1',
      '--json',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    expect(json(r.out)).toEqual({
      policy: 'orders-to-staging',
      destinations: [PEER],
      requestId: 'cli-test-1',
      requestedBy: 'rewind-cli',
      status: 'requested',
      exitCode: 0,
    });
    let body: { detail?: unknown; account?: string } = {};
    for (let i = 0; i < 50 && !body.detail; i++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      if (got.Messages?.[0]) body = JSON.parse(got.Messages[0].Body!);
    }
    expect(body.account).toBe(account);
    expect(body.detail).toEqual({
      policy: 'orders-to-staging',
      destinations: [PEER],
      requestId: 'cli-test-1',
      requestedBy: 'rewind-cli',
    });
  });

  test('refuses, with the fix, a database or an account no policy replicates, and asks which of two policies', async () => {
    const noDb = await rewind('replicate', 'billing-db', '--to', PEER, '--config', config);
    expect(noDb.code).toBe(1);
    expect(noDb.err).toMatch(
      /no replication policy has billing-db as its source\n {2}the policies: orders-to-staging \(orders-db -> 222222222222\)/,
    );
    const noAccount = await rewind('replicate', 'orders-db', '--to', '444444444444', '--config', config);
    expect(noAccount.code).toBe(1);
    expect(noAccount.err).toMatch(/no replication policy replicates orders-db to account 444444444444/);
    const two = await rewind('replicate', 'orders-db', '--to', OTHER, '--config', config);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(
      /several policies replicate orders-db to account 333333333333: orders-to-qa, orders-to-qa-too; pass --policy NAME/,
    );
    const wrongTo = await rewind('replicate', 'orders-db', '--to', '12345', '--config', config);
    expect([wrongTo.code, wrongTo.err.split('\n')[0]]).toEqual([
      2,
      'rewind: --to must be a 12-digit account id, not "12345"',
    ]);
    const notThere = await rewind(
      'replicate',
      'orders-db',
      '--to',
      PEER,
      '--policy',
      'orders-to-qa',
      '--config',
      config,
    );
    expect(notThere.err).toMatch(
      /policy orders-to-qa does not replicate to account 222222222222\n {2}its destinations: 333333333333/,
    );
  });

  test('--wait follows the source job until every destination answered', async () => {
    // The source job as the replication service leaves it once the destination completed.
    await doc().send(
      new PutCommand({
        TableName: env.cloud.names.tableName,
        Item: {
          pk: 'REPLSRC#orders-to-staging#cli-test-2',
          sk: 'JOB',
          seq: 0,
          replicationId: 'repl-orders-to-staging-cli-test-2',
          policyName: 'orders-to-staging',
          sourceAccount: account,
          sourceIdentifier: 'orders-db',
          destinations: [PEER],
          snapshotName: 'rewind-repl-orders-to-staging-202612050300',
          createdAt: '2026-12-05T03:00:00.000Z',
          marks: {
            shared: '2026-12-05T03:20:00.000Z',
            [`announced:${PEER}`]: '2026-12-05T03:20:01.000Z',
            [`ack:${PEER}`]: JSON.stringify({ at: '2026-12-05T03:20:02.000Z', mode: 'in-place' }),
            [`outcome:${PEER}`]: JSON.stringify({
              state: 'completed',
              at: '2026-12-05T03:50:00.000Z',
              identifier: 'orders-staging',
              runId: 'run-1',
            }),
            done: '2026-12-05T03:50:01.000Z',
          },
        },
      }),
    );
    const r = await rewind(
      'replicate',
      'orders-db',
      '--to',
      PEER,
      '--config',
      config,
      '--request-id',
      'cli-test-2',
      '--wait',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain(
      `  finished (done)\n    ${PEER}: completed (orders-staging)\nreplication completed`,
    );
  });
});

describe('rewind replication status', () => {
  test("shows this account's replications and, with --peer-*, the peer account's", async () => {
    await doc().send(
      new PutCommand({
        TableName: env.cloud.names.tableName,
        Item: {
          pk: 'REPLSRC#orders-to-staging#2026-12-04T03:00:00Z',
          sk: 'JOB',
          seq: 0,
          replicationId: 'repl-orders-to-staging-202612040300',
          policyName: 'orders-to-staging',
          destinations: [PEER],
          snapshotName: 'rewind-repl-orders-to-staging-202612040300',
          createdAt: '2026-12-04T03:00:00.000Z',
          marks: {
            failed: JSON.stringify({
              stage: 'select',
              reason: 'orders-db is encrypted with the default aws/rds key',
              action: 'set source.kmsKeyId',
              at: '2026-12-04T03:00:01.000Z',
            }),
          },
        },
      }),
    );
    // The destination account's table, in that account, with its side of the replication.
    const peer = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: PEER, secretAccessKey: 'test' },
    });
    await peer.send(new CreateTableCommand(stateTableDefinition(env.cloud.names.tableName)));
    await DynamoDBDocumentClient.from(peer).send(
      new PutCommand({
        TableName: env.cloud.names.tableName,
        Item: {
          pk: 'REPLDST#repl-orders-to-staging-cli-test-2',
          sk: 'JOB',
          seq: 0,
          replicationId: 'repl-orders-to-staging-cli-test-2',
          policy: 'orders-to-staging',
          sourceAccount: account,
          sourceIdentifier: 'orders-db',
          copyIdentifier: 'rewind-repl-orders-to-staging-202612050300-copy',
          runId: 'run-1',
          result: { identifier: 'orders-staging', address: 'orders-staging.local' },
          createdAt: '2026-12-05T03:20:02.000Z',
          marks: { 'copy:requested': '2026-12-05T03:20:03.000Z', done: '2026-12-05T03:50:00.000Z' },
        },
      }),
    );
    peer.destroy();

    const r = await rewind(
      'replication',
      'status',
      '--peer-endpoint',
      endpoint,
      '--peer-account',
      PEER,
      '--json',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    const out = json<{
      replications: { replicationId: string; state: string; failure?: { stage: string } }[];
      peer: {
        replications: { side: string; state: string; runId: string; result: { identifier: string } }[];
      };
    }>(r.out);
    expect(out.replications.map((v) => [v.replicationId, v.state, v.failure?.stage])).toEqual([
      // The request of the first test, taken by the replication service: orders-db does not exist here.
      ['repl-orders-to-staging-cli-test-1', 'failed', 'select'],
      ['repl-orders-to-staging-cli-test-2', 'finished', undefined],
      ['repl-orders-to-staging-202612040300', 'failed', 'select'],
    ]);
    expect(out.peer.replications).toMatchObject([
      { side: 'destination', state: 'completed', runId: 'run-1', result: { identifier: 'orders-staging' } },
    ]);

    const text = await rewind('replication', 'status', '--policy', 'orders-to-staging');
    expect(text.out).toContain('failed at select: orders-db is encrypted with the default aws/rds key');
    expect(text.out).toContain('    what to do: set source.kmsKeyId');
    // --state: only the failed ones (the console's filter, the same function).
    const failedOnly = json<{ replications: { replicationId: string }[] }>(
      (await rewind('replication', 'status', '--state', 'failed', '--json')).out,
    );
    expect(failedOnly.replications.map((v) => v.replicationId)).toEqual([
      'repl-orders-to-staging-cli-test-1',
      'repl-orders-to-staging-202612040300',
    ]);
    const badState = await rewind('replication', 'status', '--state', 'done');
    expect([badState.code, badState.err.split('\n')[0]]).toEqual([
      2,
      'rewind: --state must be one of under-way, completed, failed, not "done"',
    ]);
    const local = await rewind('replication', 'status', '--peer-endpoint', endpoint);
    expect([local.code, local.err.split('\n')[0]]).toEqual([
      2,
      'rewind: on the local cloud the peer account must be named (its access key is the account id): --peer-account ID',
    ]);
  });
});

describe('rewind replication key-policy', () => {
  test('prints the statements of the source key, each destination key and the destinations IAM', async () => {
    const r = await rewind(
      'replication',
      'key-policy',
      '--policy',
      'orders-to-staging',
      '--config',
      config,
      '--stage',
      'prod',
      '--json',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    const out = json<{
      prefix: string;
      keys: { side: string; statements: { Principal: { AWS: string[] } }[] }[];
      destinationIam: { account: string }[];
    }>(r.out);
    expect(out.prefix).toBe('rewind-prod');
    expect(out.keys.map((k) => [k.side, k.statements[0]!.Principal.AWS])).toEqual([
      ['source', [`arn:aws:iam::${account}:role/rewind-prod-replication`, `arn:aws:iam::${PEER}:root`]],
      ['destination', [`arn:aws:iam::${PEER}:role/rewind-prod-replication`]],
    ]);
    expect(out.destinationIam.map((d) => d.account)).toEqual([PEER]);
    const unknown = await rewind('replication', 'key-policy', '--policy', 'nope', '--config', config);
    expect([unknown.code, unknown.err]).toEqual([
      1,
      `rewind: no replication policy "nope" in ${config}\n  the policies: orders-to-staging, orders-to-qa, orders-to-qa-too\n`,
    ]);
  });
});
