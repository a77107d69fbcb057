import {
  AddTagsToResourceCommand,
  CreateDBSnapshotCommand,
  RDSClient,
  CreateEventSubscriptionCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { findCluster, findInstance, findSnapshot } from '@rewind/shared';
import { DEFAULT_PREFIX, sampleClusterMembers } from '@rewind/local';
import type { Denial } from '../../local/src/iam/authorizer';
import { localRoles, roleCredentials } from '../../local/src/iam/roles';
import { createProductionCluster, expectClusterIntact, expectSameCluster } from '../clusterHarness';
import { createProductionInstance, startE2E, type E2E } from '../harness';

/**
 * IAM in the loop: every function signs with its own role and the local cloud evaluates the policies
 * the deployment generates. Each test is a run a real account would have refused before its fix.
 */
/** The shared stack's RDS SNS adapter, run with its own role (its name is its role's function name). */
const ADAPTER = {
  name: `${DEFAULT_PREFIX}-rds-sns-adapter`,
  queueName: `${DEFAULT_PREFIX}-rds-sns-adapter-inbox`,
  handler: 'local/src/runtime/snsOverSqs.rdsSnsAdapter',
  batchSize: 10,
  maxConcurrency: 1,
  timeoutSeconds: 30,
};

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ prefix: DEFAULT_PREFIX, extraFunctions: [ADAPTER] });
});
afterAll(async () => e2e?.stop());

const denials = async () =>
  (await e2e.cloud.admin.get<{ denials: Denial[] }>('/_rewind/iam/denials')).denials;

describe('IAM in the loop', () => {
  test('the functions run with their own roles: a refused request is AccessDenied and the run fails with it', async () => {
    await createProductionInstance(e2e.rds, 'opted-out-mid-run');
    const arn = (await findInstance(e2e.rds, 'opted-out-mid-run'))!.DBInstanceArn!;
    // The snapshot takes long enough to withdraw the opt-in tag while the run is under way.
    await e2e.cloud.admin.post('/_rewind/rds/config', { profile: { snapshotCreate: 30 * 60_000 } });
    try {
      await e2e.publish({ identifier: 'opted-out-mid-run', task: 'create_snapshot', requestId: 'opt-out' });
      const started = await e2e.observer.waitFor(
        (e) => e['detail-type'] === 'RunStarted' && e.detail.requestId === 'opt-out',
      );
      await e2e.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['rewind:allow'] }));
      const terminal = await e2e.observer.waitFor(
        (e) =>
          ['RunCompleted', 'RunFailed'].includes(e['detail-type']) &&
          e.detail.run?.id === started.detail.run!.id,
        120_000,
      );
      expect(terminal['detail-type']).toBe('RunFailed');
      expect(String(terminal.detail.reason)).toMatch(
        /AccessDenied: User: arn:aws:sts::000000000000:assumed-role\/rewind-local-(snapshot|rename)\/.* is not authorized to perform: rds:(CreateDBSnapshot|ModifyDBInstance) on resource: arn:aws:rds:us-east-1:000000000000:db:opted-out-mid-run/,
      );
      expect((await findInstance(e2e.rds, 'opted-out-mid-run'))?.DBInstanceStatus).toBeDefined();
      expect((await denials()).some((d) => d.resource.endsWith(':db:opted-out-mid-run'))).toBe(true);
    } finally {
      await e2e.cloud.admin.post('/_rewind/rds/config', { profile: 'realistic' });
    }
  });

  test('CopyTagsToSnapshot: the final snapshot of the set-aside original is taken and the original deleted', async () => {
    const before = await createProductionInstance(e2e.rds, 'tagged-snapshots', { CopyTagsToSnapshot: true });
    const { terminal, runId } = await e2e.request({
      identifier: 'tagged-snapshots',
      task: 'create_snapshot',
    });
    expect([terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual([
      'RunCompleted',
      undefined,
      [],
    ]);
    const run = (await e2e.store.getRun(runId))!;
    expect(await findInstance(e2e.rds, run.names.temporary!)).toBeUndefined();
    const final = await findSnapshot(e2e.rds, run.names.finalSnapshot!);
    expect(final?.TagList).toEqual(expect.arrayContaining([{ Key: 'rewind:allow', Value: 'true' }]));
    expect((await findInstance(e2e.rds, 'tagged-snapshots'))?.Endpoint?.Address).toBe(before.endpointAddress);
    expect((await denials()).filter((d) => d.resource.includes('tagged-snapshots'))).toEqual([]);
  });

  test('an instance encrypted with a customer-managed KMS key is restored (KMS grants via RDS)', async () => {
    const kms = new KMSClient({
      endpoint: e2e.cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const key = (await kms.send(new CreateKeyCommand({ Description: 'vault' }))).KeyMetadata!.Arn!;
    kms.destroy();
    await createProductionInstance(e2e.rds, 'vault-db', { StorageEncrypted: true, KmsKeyId: key });
    const { terminal } = await e2e.request({ identifier: 'vault-db', task: 'create_snapshot' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect((await findInstance(e2e.rds, 'vault-db'))?.KmsKeyId).toBe(key);
  });

  test('opt-in tag value "True": rejected at intake (IAM compares case-sensitively), nothing touched', async () => {
    await createProductionInstance(e2e.rds, 'capital-true', {
      Tags: [{ Key: 'rewind:allow', Value: 'True' }],
    });
    const { terminal } = await e2e.request({ identifier: 'capital-true', task: 'create_snapshot' });
    expect(terminal['detail-type']).toBe('RestoreRejected');
    expect(terminal.detail.reason).toMatch(/rewind:allow=True.*case-sensitive.*Value=true/);
    const db = await findInstance(e2e.rds, 'capital-true');
    expect(db?.DBInstanceStatus).toBe('available');
  });

  test('a cluster tagged as documented before (cluster only): rejected with the members to tag, nothing renamed', async () => {
    const before = await createProductionCluster(e2e.rds, 'half-tagged');
    const [writer, reader] = sampleClusterMembers('half-tagged');
    for (const member of [writer!, reader!]) {
      const db = await findInstance(e2e.rds, member);
      await e2e.rds.send(
        new RemoveTagsFromResourceCommand({ ResourceName: db!.DBInstanceArn!, TagKeys: ['rewind:allow'] }),
      );
    }
    const { terminal } = await e2e.request({
      identifier: 'half-tagged',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect(terminal['detail-type']).toBe('RestoreRejected');
    expect(terminal.detail.reason).toContain(`${writer}, ${reader}`);
    expect(terminal.detail.reason).toContain('aws rds add-tags-to-resource');
    await expectClusterIntact(e2e, before);
  });

  test('a cluster encrypted with a customer-managed key, members tagged too: restored in place (KMS grants via RDS)', async () => {
    const before = await createProductionCluster(e2e.rds, 'all-tagged');
    const { terminal, runId } = await e2e.request({
      identifier: 'all-tagged',
      task: 'create_snapshot',
      isCluster: true,
    });
    expect([terminal['detail-type'], terminal.detail.reason, terminal.detail.warnings]).toEqual([
      'RunCompleted',
      undefined,
      [],
    ]);
    await expectSameCluster(e2e, runId, before);
    expect((await findCluster(e2e.rds, 'all-tagged'))?.KmsKeyId).toBe(before.kmsKeyId);
    // Nothing was refused along the way (a refusal retried until it passed would show here).
    expect((await denials()).filter((d) => d.resource.includes('all-tagged'))).toEqual([]);
  });

  test('the restore role cannot opt a database in: a database tagged rewind:allow=false stays out', async () => {
    await createProductionInstance(e2e.rds, 'never-touch', {
      Tags: [{ Key: 'rewind:allow', Value: 'false' }],
    });
    const arn = (await findInstance(e2e.rds, 'never-touch'))!.DBInstanceArn!;
    const asRestore = new RDSClient({
      endpoint: e2e.cloud.endpoint,
      region: e2e.cloud.identity.region,
      credentials: roleCredentials(`${e2e.cloud.names.prefix}-restore`),
      maxAttempts: 1,
    });
    try {
      const optIn = asRestore.send(
        new AddTagsToResourceCommand({
          ResourceName: arn,
          Tags: [
            { Key: 'rewind:allow', Value: 'true' },
            { Key: 'rewind:run-id', Value: 'run-forged' },
          ],
        }),
      );
      await expect(optIn).rejects.toMatchObject({
        name: 'AccessDenied',
        message: expect.stringContaining(
          'is not authorized to perform: rds:AddTagsToResource on resource: ' + arn,
        ),
      });
      const tags = (await findInstance(e2e.rds, 'never-touch'))!.TagList;
      expect(tags).toEqual([{ Key: 'rewind:allow', Value: 'false' }]);
    } finally {
      asRestore.destroy();
    }
  });

  test('RDS event subscription -> SNS -> adapter -> bus: RDS may publish (aws:SourceArn of the source), the adapter may put', async () => {
    const sns = new SNSClient({
      endpoint: e2e.cloud.endpoint,
      region: e2e.cloud.identity.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const queue = async (name: string) => {
      const { QueueUrl } = await e2e.sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await e2e.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      return { url: QueueUrl!, arn: Attributes!.QueueArn! };
    };
    try {
      // The shared stack's topic with its generated policy, the adapter subscribed (through its queue).
      const { rdsEventsTopicPolicy } = localRoles(e2e.cloud.names, e2e.cloud.identity, {
        senderEmail: 'rewind@example.com',
      });
      const { TopicArn } = await sns.send(
        new CreateTopicCommand({
          Name: `${e2e.cloud.names.prefix}-rds-events`,
          Attributes: { Policy: JSON.stringify(rdsEventsTopicPolicy) },
        }),
      );
      const adapterInbox = await queue(ADAPTER.queueName);
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: adapterInbox.arn }));
      await e2e.rds.send(
        new CreateEventSubscriptionCommand({
          SubscriptionName: `${e2e.cloud.names.prefix}-db-snapshot`,
          SnsTopicArn: TopicArn,
          SourceType: 'db-snapshot',
          Enabled: true,
        }),
      );
      // What the adapter puts on the bus, seen by a rule of our own.
      const seen = await queue('e2e-rds-subscription-events');
      await e2e.events.send(
        new PutRuleCommand({
          Name: 'e2e-rds-subscription',
          EventBusName: e2e.cloud.names.busName,
          EventPattern: JSON.stringify({ source: ['rewind.rds-subscription'] }),
        }),
      );
      await e2e.events.send(
        new PutTargetsCommand({
          Rule: 'e2e-rds-subscription',
          EventBusName: e2e.cloud.names.busName,
          Targets: [{ Id: 'seen', Arn: seen.arn }],
        }),
      );

      await createProductionInstance(e2e.rds, 'notified-db');
      await e2e.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: 'notified-db',
          DBSnapshotIdentifier: 'notified-snap',
        }),
      );
      const received: { 'detail-type': string; detail: { SourceArn?: string } }[] = [];
      for (let i = 0; i < 30 && received.length === 0; i++) {
        const out = await e2e.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: seen.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
        );
        for (const m of out.Messages ?? []) received.push(JSON.parse(m.Body!));
      }
      expect(received[0]).toMatchObject({
        'detail-type': 'RDS DB Snapshot Event',
        detail: { SourceArn: 'arn:aws:rds:us-east-1:000000000000:snapshot:notified-snap' },
      });
      const invocations = await e2e.cloud.admin.invocations(ADAPTER.name);
      expect(invocations.length).toBeGreaterThan(0);
      expect(invocations.map((i) => i.outcome)).not.toContain('error');
      const refused = (await denials()).filter((d) =>
        ['events.rds.amazonaws.com', ADAPTER.name].includes(d.role),
      );
      expect(refused).toEqual([]);
    } finally {
      sns.destroy();
    }
  });

  test('tags added by the test itself act as an administrator (the CLI and tests are not evaluated)', async () => {
    await createProductionInstance(e2e.rds, 'admin-tagged');
    const arn = (await findInstance(e2e.rds, 'admin-tagged'))!.DBInstanceArn!;
    await expect(
      e2e.rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'k', Value: 'v' }] })),
    ).resolves.toBeDefined();
  });

  test('no call of the functions was refused but the ones these tests provoke', async () => {
    const provoked = /opted-out-mid-run|never-touch/;
    expect((await denials()).filter((d) => !provoked.test(d.resource)).map((d) => d.message)).toEqual([]);
  });
});
