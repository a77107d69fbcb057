/**
 * The AWS CLI against several regions and accounts of the local cloud (the commands shown in
 * local/README.md, "Regions, accounts and KMS"). Runs only where the AWS CLI is installed (CI installs
 * Debian's awscli); `AWS_CLI` picks another binary.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import {
  CreateGlobalReplicationGroupCommand,
  CreateReplicationGroupCommand,
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateGlobalClusterCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
} from '@aws-sdk/client-rds';
import { ACCOUNT_A, ACCOUNT_B, clientsFor, eventually, type Clients } from './places';

const run = promisify(execFile);
const AWS = process.env.AWS_CLI ?? 'aws';
const hasAwsCli = spawnSync(AWS, ['--version'], { encoding: 'utf8' }).status === 0;

type Json = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

(hasAwsCli ? describe : describe.skip)('the AWS CLI across regions and accounts', () => {
  let cloud: LocalCloud;
  /** Runs the CLI as an account (its access key) in a region; JSON output parsed. */
  const as = (accessKey: string, region: string) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: accessKey,
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: region,
      AWS_PAGER: '',
    };
    delete env.AWS_PROFILE;
    delete env.AWS_REGION;
    const call = async (...args: string[]): Promise<Json> => {
      const { stdout } = await run(AWS, ['--endpoint-url', cloud.endpoint, '--output', 'json', ...args], {
        env,
      });
      return JSON.parse(stdout || '{}') as Json;
    };
    /** The CLI's error text of a command that must fail. */
    const fails = async (...args: string[]): Promise<string> => {
      try {
        await call(...args);
      } catch (e) {
        return String((e as { stderr?: string }).stderr);
      }
      throw new Error(`aws ${args.join(' ')} succeeded`);
    };
    return { call, fails };
  };
  const east = () => as('test', 'us-east-1');
  const west = () => as('test', 'us-west-2');
  const accountB = () => as(ACCOUNT_B, 'us-east-1');

  /** Polls a CLI call until `pred` holds (no timed assertion: the emulator's time is compressed). */
  async function until(call: () => Promise<Json>, pred: (j: Json) => boolean): Promise<Json> {
    for (let i = 0; ; i++) {
      const j = await call();
      if (pred(j)) return j;
      if (i > 200) throw new Error(`never true: ${JSON.stringify(j)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function instanceWithSnapshot(id: string, extra: string[] = []): Promise<string> {
    const e = east();
    await e.call(
      'rds',
      'create-db-instance',
      '--db-instance-identifier',
      id,
      '--engine',
      'postgres',
      '--db-instance-class',
      'db.t3.micro',
      '--master-username',
      'app',
      '--master-user-password',
      'secret123',
      '--allocated-storage',
      '20',
      ...extra,
    );
    await until(
      () => e.call('rds', 'describe-db-instances', '--db-instance-identifier', id),
      (j) => j.DBInstances[0].DBInstanceStatus === 'available',
    );
    const snap = await e.call(
      'rds',
      'create-db-snapshot',
      '--db-instance-identifier',
      id,
      '--db-snapshot-identifier',
      `${id}-snap`,
    );
    await until(
      () => e.call('rds', 'describe-db-snapshots', '--db-snapshot-identifier', `${id}-snap`),
      (j) => j.DBSnapshots[0].Status === 'available',
    );
    return snap.DBSnapshot.DBSnapshotArn as string;
  }

  beforeAll(async () => {
    cloud = await spawnLocalCloud({
      provision: false,
      functions: false,
      rds: { profile: 'realistic', timeScale: 0.001, throttle: { enabled: false } },
    });
  });
  afterAll(() => cloud?.stop());

  it('--region us-west-2 sees its own resources; a copy from us-east-1 appears there with its statuses and events', async () => {
    const arn = await instanceWithSnapshot('cli-orders');
    expect((await west().call('rds', 'describe-db-instances')).DBInstances).toEqual([]);
    expect(
      (await east().call('rds', 'describe-db-instances')).DBInstances.map(
        (i: Json) => i.DBInstanceIdentifier,
      ),
    ).toEqual(['cli-orders']);

    // botocore presigns a URL for --source-region; the local cloud accepts and ignores it, as RDS does outside GovCloud.
    const copy = await west().call(
      'rds',
      'copy-db-snapshot',
      '--source-db-snapshot-identifier',
      arn,
      '--target-db-snapshot-identifier',
      'cli-orders-dr',
      '--source-region',
      'us-east-1',
    );
    expect(copy.DBSnapshot).toMatchObject({
      Status: 'pending',
      SourceRegion: 'us-east-1',
      DBSnapshotArn: `arn:aws:rds:us-west-2:${ACCOUNT_A}:snapshot:cli-orders-dr`,
    });
    const seen = new Set<string>();
    await until(
      async () => {
        const j = await west().call(
          'rds',
          'describe-db-snapshots',
          '--db-snapshot-identifier',
          'cli-orders-dr',
        );
        seen.add(j.DBSnapshots[0].Status);
        return j;
      },
      (j) => j.DBSnapshots[0].Status === 'available',
    );
    expect(seen.has('available')).toBe(true);
    const events = await west().call(
      'rds',
      'describe-events',
      '--source-type',
      'db-snapshot',
      '--source-identifier',
      'cli-orders-dr',
    );
    expect(events.Events.map((e: Json) => e.Message)).toEqual([
      'Started copy of snapshot cli-orders-snap from region us-east-1.',
      expect.stringMatching(
        /^Finished copy of snapshot cli-orders-snap from region us-east-1 in \d+ minutes\.$/,
      ),
    ]);
    expect(
      (
        await east().call(
          'rds',
          'describe-events',
          '--source-type',
          'db-snapshot',
          '--source-identifier',
          'cli-orders-dr',
        )
      ).Events,
    ).toEqual([]);
    // Without --source-region botocore sends no PreSignedUrl: not required either.
    const unsigned = await west().call(
      'rds',
      'copy-db-snapshot',
      '--source-db-snapshot-identifier',
      arn,
      '--target-db-snapshot-identifier',
      'cli-orders-dr2',
    );
    expect(unsigned.DBSnapshot.Status).toBe('pending');
  });

  it('a second account sees a shared snapshot and copies it with its own key; a snapshot under aws/rds it cannot use', async () => {
    const policy = JSON.stringify({
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
          Sid: 'account B',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT_B}:root` },
          Action: [
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:CreateGrant',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
          ],
          Resource: '*',
        },
      ],
    });
    const key = await east().call('kms', 'create-key', '--description', 'shared with B', '--policy', policy);
    const shared = await instanceWithSnapshot('cli-shared', [
      '--storage-encrypted',
      '--kms-key-id',
      key.KeyMetadata.Arn,
    ]);
    await east().call(
      'rds',
      'modify-db-snapshot-attribute',
      '--db-snapshot-identifier',
      'cli-shared-snap',
      '--attribute-name',
      'restore',
      '--values-to-add',
      ACCOUNT_B,
    );

    const visible = await accountB().call('rds', 'describe-db-snapshots', '--snapshot-type', 'shared');
    expect(visible.DBSnapshots.map((s: Json) => [s.DBSnapshotArn, s.SnapshotType])).toEqual([
      [shared, 'shared'],
    ]);
    const bKey = await accountB().call('kms', 'create-key', '--description', 'B copies');
    const copy = await accountB().call(
      'rds',
      'copy-db-snapshot',
      '--source-db-snapshot-identifier',
      shared,
      '--target-db-snapshot-identifier',
      'from-a',
      '--kms-key-id',
      bKey.KeyMetadata.KeyId,
    );
    expect(copy.DBSnapshot).toMatchObject({
      DBSnapshotArn: `arn:aws:rds:us-east-1:${ACCOUNT_B}:snapshot:from-a`,
      KmsKeyId: bKey.KeyMetadata.Arn,
    });

    const managed = await instanceWithSnapshot('cli-managed', ['--storage-encrypted']);
    await east().call(
      'rds',
      'modify-db-snapshot-attribute',
      '--db-snapshot-identifier',
      'cli-managed-snap',
      '--attribute-name',
      'restore',
      '--values-to-add',
      ACCOUNT_B,
    );
    const refused = await accountB().fails(
      'rds',
      'copy-db-snapshot',
      '--source-db-snapshot-identifier',
      managed,
      '--target-db-snapshot-identifier',
      'from-a-managed',
      '--kms-key-id',
      bKey.KeyMetadata.KeyId,
    );
    expect(refused).toContain('KMSKeyNotAccessibleFault');
    expect(refused).toContain('The source snapshot KMS key');
  });

  it('cross-account and cross-region bus targets deliver only after the target bus allows it', async () => {
    for (const [target, name] of [
      [accountB(), 'central'],
      [west(), 'dr'],
    ] as const) {
      const bus = await target.call('events', 'create-event-bus', '--name', name);
      const queue = await target.call('sqs', 'create-queue', '--queue-name', `${name}-inbox`);
      const queueArn = (
        await target.call(
          'sqs',
          'get-queue-attributes',
          '--queue-url',
          queue.QueueUrl,
          '--attribute-names',
          'QueueArn',
        )
      ).Attributes.QueueArn;
      await target.call(
        'events',
        'put-rule',
        '--name',
        'inbox',
        '--event-bus-name',
        name,
        '--event-pattern',
        `{"source":["cli-${name}"]}`,
      );
      await target.call(
        'events',
        'put-targets',
        '--rule',
        'inbox',
        '--event-bus-name',
        name,
        '--targets',
        `Id=q,Arn=${queueArn}`,
      );
      await east().call(
        'events',
        'put-rule',
        '--name',
        `to-${name}`,
        '--event-pattern',
        `{"source":["cli-${name}"]}`,
      );
      await east().call(
        'events',
        'put-targets',
        '--rule',
        `to-${name}`,
        '--targets',
        `Id=bus,Arn=${bus.EventBusArn}`,
      );
      const put = (n: number) =>
        east().call(
          'events',
          'put-events',
          '--entries',
          JSON.stringify([{ Source: `cli-${name}`, DetailType: 'Ping', Detail: JSON.stringify({ n }) }]),
        );
      const receive = () =>
        target.call('sqs', 'receive-message', '--queue-url', queue.QueueUrl, '--wait-time-seconds', '1');

      await put(1);
      expect((await receive()).Messages ?? []).toEqual([]);
      await target.call(
        'events',
        'put-permission',
        '--event-bus-name',
        name,
        '--statement-id',
        'from-east',
        '--action',
        'events:PutEvents',
        '--principal',
        ACCOUNT_A,
      );
      await put(2);
      const got = await until(receive, (j) => (j.Messages ?? []).length > 0);
      expect(JSON.parse(got.Messages[0].Body)).toMatchObject({
        account: ACCOUNT_A,
        region: 'us-east-1',
        detail: { n: 2 },
      });
    }
  });

  it('DR: an Aurora global database switched over and an ElastiCache global datastore failed over, as each region shows them', async () => {
    // Set up with the SDK (fast); switch and observe with the CLI.
    const [sdkEast, sdkWest] = [
      clientsFor(cloud.endpoint, 'test', 'us-east-1'),
      clientsFor(cloud.endpoint, 'test', 'us-west-2'),
    ];
    const cacheEast = new ElastiCacheClient({
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const cacheWest = new ElastiCacheClient({
      endpoint: cloud.endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const [e, w] = [east(), west()];
    const arn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT_A}:cluster:${id}`;
    try {
      const clusterWithInstance = async (c: Clients, id: string, global?: string) => {
        await c.rds.send(
          new CreateDBClusterCommand({
            DBClusterIdentifier: id,
            Engine: 'aurora-mysql',
            GlobalClusterIdentifier: global,
            MasterUsername: global ? undefined : 'app',
          }),
        );
        await eventually(
          () => c.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
          (r) => r.DBClusters?.[0]?.Status === 'available',
        );
        await c.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: `${id}-1`,
            DBClusterIdentifier: id,
            Engine: 'aurora-mysql',
            DBInstanceClass: 'db.r6g.large',
          }),
        );
        await eventually(
          () => c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${id}-1` })),
          (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
        );
      };
      await clusterWithInstance(sdkEast, 'cli-east');
      await sdkEast.rds.send(
        new CreateGlobalClusterCommand({
          GlobalClusterIdentifier: 'cli-global',
          SourceDBClusterIdentifier: 'cli-east',
        }),
      );
      await eventually(
        () => sdkEast.rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'cli-global' })),
        (r) => r.GlobalClusters?.[0]?.Status === 'available',
      );
      await clusterWithInstance(sdkWest, 'cli-west', 'cli-global');

      const target = [
        '--global-cluster-identifier',
        'cli-global',
        '--target-db-cluster-identifier',
        arn('us-west-2', 'cli-west'),
      ];
      expect(await w.fails('rds', 'switchover-global-cluster', ...target)).toContain('InvalidParameterValue');
      const started = await e.call('rds', 'switchover-global-cluster', ...target);
      expect(started.GlobalCluster.FailoverState).toMatchObject({
        Status: 'pending',
        IsDataLossAllowed: false,
      });
      await eventually(
        () => sdkEast.rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'cli-global' })),
        (r) =>
          r.GlobalClusters?.[0]?.Status === 'available' && r.GlobalClusters[0].FailoverState === undefined,
      );
      const done = await w.call(
        'rds',
        'describe-global-clusters',
        '--global-cluster-identifier',
        'cli-global',
      );
      expect(
        done.GlobalClusters[0].GlobalClusterMembers.map((m: Json) => [m.DBClusterArn, m.IsWriter]),
      ).toEqual([
        [arn('us-west-2', 'cli-west'), true],
        [arn('us-east-1', 'cli-east'), false],
      ]);
      const writerOf = async (c: typeof e, id: string) =>
        (await c.call('rds', 'describe-db-clusters', '--db-cluster-identifier', id)).DBClusters[0]
          .DBClusterMembers[0].IsClusterWriter;
      expect([await writerOf(w, 'cli-west'), await writerOf(e, 'cli-east')]).toEqual([true, false]);

      await cacheEast.send(
        new CreateReplicationGroupCommand({
          ReplicationGroupId: 'cli-cache',
          ReplicationGroupDescription: 'primary',
          CacheNodeType: 'cache.t4g.small',
        }),
      );
      await eventually(
        () => cacheEast.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'cli-cache' })),
        (r) => r.ReplicationGroups?.[0]?.Status === 'available',
      );
      const grg = await cacheEast.send(
        new CreateGlobalReplicationGroupCommand({
          GlobalReplicationGroupIdSuffix: 'cli-cache',
          PrimaryReplicationGroupId: 'cli-cache',
        }),
      );
      const gid = grg.GlobalReplicationGroup!.GlobalReplicationGroupId!;
      const globalStatus = async () =>
        (await cacheEast.send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: gid })))
          .GlobalReplicationGroups?.[0]?.Status;
      await eventually(globalStatus, (x) => x === 'primary-only');
      await cacheWest.send(
        new CreateReplicationGroupCommand({
          ReplicationGroupId: 'cli-cache-dr',
          ReplicationGroupDescription: 'secondary',
          GlobalReplicationGroupId: gid,
        }),
      );
      await eventually(globalStatus, (x) => x === 'available');
      await w.call(
        'elasticache',
        'failover-global-replication-group',
        '--global-replication-group-id',
        gid,
        '--primary-region',
        'us-west-2',
        '--primary-replication-group-id',
        'cli-cache-dr',
      );
      await eventually(globalStatus, (x) => x === 'available');
      const after = await e.call(
        'elasticache',
        'describe-global-replication-groups',
        '--global-replication-group-id',
        gid,
        '--show-member-info',
      );
      expect(
        after.GlobalReplicationGroups[0].Members.map((m: Json) => [m.ReplicationGroupRegion, m.Role]),
      ).toEqual([
        ['us-west-2', 'PRIMARY'],
        ['us-east-1', 'SECONDARY'],
      ]);
    } finally {
      sdkEast.destroy();
      sdkWest.destroy();
      cacheEast.destroy();
      cacheWest.destroy();
    }
  });
});
