/**
 * Aurora global databases across two regions with the real SDK (aws-facts-copies-dr.md §4c): members and
 * roles, switchover (planned, in the primary's region) and failover (AllowDataLoss, in the target's
 * region) with their FailoverState, events and global writer endpoint, rollback, a region outage, removal.
 * One emulator for the whole file; each test builds its own global cluster.
 */
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateGlobalClusterCommand,
  DeleteDBClusterCommand,
  DeleteGlobalClusterCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  ModifyGlobalClusterCommand,
  RDSClient,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
  type DBCluster,
  type GlobalCluster,
} from '@aws-sdk/client-rds';
import { decodeState, encodeState } from '../../src/persistence/codec';
import { eventually, startHarness, type Harness } from './harness';

let h: Harness;
let east: RDSClient;
let west: RDSClient;
const ACCOUNT = '000000000000';

beforeAll(async () => {
  h = await startHarness();
  east = h.client;
  west = new RDSClient({
    endpoint: h.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  west?.destroy();
  await h?.close();
});
afterEach(async () => {
  await h.admin('POST', 'faults/clear');
});

const arn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:cluster:${id}`;
const clusterOf = async (c: RDSClient, id: string) =>
  (await c.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0] as DBCluster;
const globalOf = async (c: RDSClient, id: string) =>
  (await c.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id })))
    .GlobalClusters?.[0] as GlobalCluster;
const writerArn = (g: GlobalCluster) => g.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
const settled = (c: RDSClient, id: string) =>
  eventually(
    () => globalOf(c, id),
    (g) => g.Status === 'available' && g.FailoverState === undefined,
  );
const errorOf = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (e: Error) => ({ name: e.name, message: e.message }),
  );

/** Events of one region (from the emulator's log) for a source identifier: `id message`. */
function eventsOf(region: string, id: string): string[] {
  return h.rds
    .at({ region })
    .events()
    .filter((e) => e.sourceIdentifier === id)
    .map((e) => `${e.eventId.slice(-4)} ${e.message}`);
}

/** A cluster in `c`'s region with one available instance; `global` makes it a member. */
async function cluster(c: RDSClient, id: string, global?: string): Promise<void> {
  await c.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      GlobalClusterIdentifier: global,
      ...(global === undefined ? { MasterUsername: 'app', MasterUserPassword: 'secret123' } : {}),
    }),
  );
  await eventually(
    () => clusterOf(c, id),
    (x) => x.Status === 'available',
  );
  await c.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: `${id}-1`,
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
    }),
  );
  await eventually(
    () => c.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${id}-1` })),
    (r) => r.DBInstances?.[0]?.DBInstanceStatus === 'available',
  );
}

/** A global cluster built on a primary in us-east-1, with a secondary in us-west-2. */
async function globalPair(name: string): Promise<void> {
  await cluster(east, `${name}-east`);
  await east.send(
    new CreateGlobalClusterCommand({
      GlobalClusterIdentifier: name,
      SourceDBClusterIdentifier: arn('us-east-1', `${name}-east`),
    }),
  );
  await settled(east, name);
  await cluster(west, `${name}-west`, name);
}

test('a secondary in another region is read-only; every region describes the global cluster', async () => {
  await globalPair('orders');
  const g = await globalOf(west, 'orders');
  expect(g).toMatchObject({
    GlobalClusterArn: `arn:aws:rds::${ACCOUNT}:global-cluster:orders`,
    Engine: 'aurora-postgresql',
    Status: 'available',
    Endpoint: expect.stringMatching(/^orders\.global-[a-z0-9]{12}\.global\.rds\.amazonaws\.com$/),
  });
  expect(g.GlobalClusterMembers).toEqual([
    {
      DBClusterArn: arn('us-east-1', 'orders-east'),
      Readers: [arn('us-west-2', 'orders-west')],
      IsWriter: true,
      GlobalWriteForwardingStatus: 'disabled',
      SynchronizationStatus: 'connected',
    },
    {
      DBClusterArn: arn('us-west-2', 'orders-west'),
      Readers: [],
      IsWriter: false,
      GlobalWriteForwardingStatus: 'disabled',
      SynchronizationStatus: 'connected',
    },
  ]);
  const secondary = await clusterOf(west, 'orders-west');
  expect(secondary.GlobalClusterIdentifier).toBe('orders');
  expect(secondary.DBClusterMembers).toEqual([expect.objectContaining({ IsClusterWriter: false })]);
  expect((await clusterOf(east, 'orders-east')).DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);

  // A member cannot be deleted, nor the global cluster while it has members; a second member per region is refused.
  expect(
    await errorOf(
      east.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'orders-east', SkipFinalSnapshot: true })),
    ),
  ).toMatchObject({ name: 'InvalidDBClusterStateFault' });
  expect(
    await errorOf(east.send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: 'orders' }))),
  ).toMatchObject({
    name: 'InvalidGlobalClusterStateFault',
    message: expect.stringContaining('RemoveFromGlobalCluster'),
  });
  expect(
    await errorOf(
      west.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'orders-west2',
          Engine: 'aurora-postgresql',
          GlobalClusterIdentifier: 'orders',
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidGlobalClusterStateFault' });
  expect(
    await errorOf(west.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'nope' }))),
  ).toMatchObject({
    name: 'GlobalClusterNotFoundFault',
  });
  const inRegion = async (region: string) =>
    (
      await east.send(new DescribeGlobalClustersCommand({ Filters: [{ Name: 'region', Values: [region] }] }))
    ).GlobalClusters?.map((g) => g.GlobalClusterIdentifier);
  expect(await inRegion('us-west-2')).toContain('orders');
  expect(await inRegion('eu-west-1')).toEqual([]);
});

test('switchover: called in the primary region, FailoverState until done, roles and the global endpoint move', async () => {
  await globalPair('ledger');
  await h.admin('POST', 'replication-lag?region=us-west-2', { cluster: 'ledger-west', lagMs: 40_000 });
  const target = arn('us-west-2', 'ledger-west');

  // Refused: in the secondary's region, and with an identifier instead of an ARN.
  expect(
    await errorOf(
      west.send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: 'ledger',
          TargetDbClusterIdentifier: target,
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('us-east-1') });
  expect(
    await errorOf(
      east.send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: 'ledger',
          TargetDbClusterIdentifier: 'ledger-west',
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('ARN') });

  const { GlobalCluster: started } = await east.send(
    new SwitchoverGlobalClusterCommand({
      GlobalClusterIdentifier: 'ledger',
      TargetDbClusterIdentifier: target,
    }),
  );
  expect(started).toMatchObject({
    Status: 'switching-over',
    FailoverState: {
      Status: 'pending',
      FromDbClusterArn: arn('us-east-1', 'ledger-east'),
      ToDbClusterArn: target,
      IsDataLossAllowed: false,
    },
  });
  expect(writerArn(started!)).toBe(arn('us-east-1', 'ledger-east'));
  // A second operation while one runs is refused.
  expect(
    await errorOf(
      east.send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: 'ledger',
          TargetDbClusterIdentifier: target,
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidGlobalClusterStateFault' });

  const done = await settled(west, 'ledger');
  expect(writerArn(done)).toBe(target);
  expect(done.GlobalClusterMembers?.map((m) => m.SynchronizationStatus)).toEqual(['connected', 'connected']);
  expect((await clusterOf(west, 'ledger-west')).DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);
  expect((await clusterOf(east, 'ledger-east')).DBClusterMembers?.[0]?.IsClusterWriter).toBe(false);

  expect(eventsOf('us-west-2', 'ledger-west')).toEqual([
    '0170 DB cluster created',
    '0181 Global switchover to DB cluster ledger-west in Region us-west-2 started.',
    '0423 Waiting for data synchronization with the target DB cluster. Current target DB cluster lag behind the primary DB cluster: 40000 milliseconds.',
    '0184 New primary DB cluster ledger-west in Region us-west-2 was successfully promoted.',
    '0397 Aurora finished changing the DNS name that the global writer endpoint resolves to.',
    '0185 Global switchover to DB cluster ledger-west in Region us-west-2 finished.',
  ]);
  expect(eventsOf('us-east-1', 'ledger-east').slice(1)).toEqual([
    '0182 Old primary DB cluster ledger-east in Region us-east-1 successfully shut down.',
  ]);

  // The global writer endpoint: the old primary, unavailable while the writer moves, then the new one.
  const [timeline] = h.rds.at({ region: 'us-east-1' }).availabilityTimeline(done.Endpoint);
  expect(timeline?.intervals.map((i) => i.identifier)).toEqual([arn('us-east-1', 'ledger-east'), target]);
  expect(timeline?.intervals[0]?.to).toBeDefined();
  expect(timeline!.intervals[1]!.from >= timeline!.intervals[0]!.to!).toBe(true);
});

test('a switchover that cannot complete rolls back by itself', async () => {
  await globalPair('stock');
  await h.admin('POST', 'faults', {
    operations: [{ operation: 'global-switchover', identifier: 'stock', outcome: 'rollback' }],
  });
  await east.send(
    new SwitchoverGlobalClusterCommand({
      GlobalClusterIdentifier: 'stock',
      TargetDbClusterIdentifier: arn('us-west-2', 'stock-west'),
    }),
  );
  await eventually(
    () => globalOf(east, 'stock'),
    (g) => g.FailoverState?.Status === 'cancelling',
  );
  const after = await settled(east, 'stock');
  expect(writerArn(after)).toBe(arn('us-east-1', 'stock-east'));
  expect((await clusterOf(east, 'stock-east')).DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);
  expect(eventsOf('us-west-2', 'stock-west').map((e) => e.slice(0, 4))).toEqual(['0170', '0181', '0186']);
});

test('failover with AllowDataLoss while the primary region is down: 0391, the old primary rejoins when it is back', async () => {
  await globalPair('pay');
  const target = arn('us-west-2', 'pay-west');
  expect(
    await errorOf(
      west.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: 'pay',
          TargetDbClusterIdentifier: target,
          AllowDataLoss: true,
          Switchover: true,
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidParameterCombination' });
  expect(
    await errorOf(
      east.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: 'pay',
          TargetDbClusterIdentifier: target,
          AllowDataLoss: true,
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('us-west-2') });

  // A third region: Aurora rebuilds every other secondary after a failover.
  const eu = new RDSClient({
    endpoint: h.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await cluster(eu, 'pay-eu', 'pay');
  await h.admin('POST', 'outage', { region: 'us-east-1', reachable: false });
  // The region's API can be cut off too (apiErrors by region): the failover is called in the target's region.
  await h.admin('POST', 'faults', {
    apiErrors: [{ action: '*', region: 'us-east-1', code: 'ServiceUnavailable', status: 503 }],
  });
  expect(
    await errorOf(east.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'pay' }))),
  ).toMatchObject({
    name: 'ServiceUnavailable',
  });
  const { GlobalCluster: started } = await west.send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: 'pay',
      TargetDbClusterIdentifier: target,
      AllowDataLoss: true,
    }),
  );
  expect(started).toMatchObject({
    Status: 'failing-over',
    FailoverState: { Status: 'pending', IsDataLossAllowed: true },
  });
  const done = await settled(west, 'pay');
  await h.admin('POST', 'faults/clear');
  expect(writerArn(done)).toBe(target);
  expect(done.GlobalClusterMembers?.filter((m) => !m.IsWriter).map((m) => m.SynchronizationStatus)).toEqual([
    'pending-resync',
    'pending-resync',
  ]);
  expect(eventsOf('us-west-2', 'pay-west').map((e) => e.slice(0, 4))).toEqual([
    '0170',
    '0391',
    '0238',
    '0397',
    '0240',
  ]);
  // The other secondary is rebuilt while the old primary's region is still down; no 0241 until all are back.
  await eventually(
    () => globalOf(west, 'pay'),
    (g) =>
      g.GlobalClusterMembers?.find((m) => m.DBClusterArn === arn('eu-west-1', 'pay-eu'))
        ?.SynchronizationStatus === 'connected',
  );
  expect(eventsOf('us-west-2', 'pay-west').at(-1)?.slice(0, 4)).toBe('0240');
  expect(eventsOf('us-west-2', 'pay-west')[1]).toBe(
    '0391 Attempt to block writes for DB cluster pay-east in Region us-east-1 timed out.',
  );
  const snapshots = async () =>
    (
      await east.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'pay-east', SnapshotType: 'automated' }),
      )
    ).DBClusterSnapshots ?? [];
  expect((await snapshots()).filter((x) => x.DBClusterSnapshotIdentifier?.includes('unplanned'))).toEqual([]);

  // The region is back: Aurora snapshots the old primary and rebuilds it as a secondary.
  await h.admin('POST', 'outage', { region: 'us-east-1', reachable: true });
  const rejoined = await eventually(
    () => globalOf(east, 'pay'),
    (g) => g.GlobalClusterMembers?.every((m) => m.SynchronizationStatus === 'connected') === true,
  );
  expect(writerArn(rejoined)).toBe(target);
  expect((await snapshots()).map((x) => x.DBClusterSnapshotIdentifier)).toContainEqual(
    expect.stringMatching(/^rds:unplanned-global-failover-pay-east-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/),
  );
  expect(eventsOf('us-west-2', 'pay-west').map((e) => e.slice(0, 4))).toEqual([
    '0170',
    '0391',
    '0238',
    '0397',
    '0240',
    '0241',
  ]);
  eu.destroy();

  // Failback: a switchover back to the old primary once it rejoined, called in the current primary's region.
  await west.send(
    new SwitchoverGlobalClusterCommand({
      GlobalClusterIdentifier: 'pay',
      TargetDbClusterIdentifier: arn('us-east-1', 'pay-east'),
    }),
  );
  expect(writerArn(await settled(east, 'pay'))).toBe(arn('us-east-1', 'pay-east'));
});

test('RemoveFromGlobalCluster: a secondary is promoting, then a standalone writer; then the global cluster can go', async () => {
  await globalPair('crm');
  expect(
    await errorOf(
      east.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: 'crm',
          DbClusterIdentifier: arn('us-east-1', 'crm-east'),
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidGlobalClusterStateFault', message: expect.stringContaining('primary') });
  await west.send(
    new RemoveFromGlobalClusterCommand({
      GlobalClusterIdentifier: 'crm',
      DbClusterIdentifier: arn('us-west-2', 'crm-west'),
    }),
  );
  expect((await clusterOf(west, 'crm-west')).Status).toBe('promoting');
  const standalone = await eventually(
    () => clusterOf(west, 'crm-west'),
    (c) => c.Status === 'available',
  );
  expect(standalone.GlobalClusterIdentifier).toBeUndefined();
  expect(standalone.DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);
  await east.send(
    new RemoveFromGlobalClusterCommand({
      GlobalClusterIdentifier: 'crm',
      DbClusterIdentifier: arn('us-east-1', 'crm-east'),
    }),
  );
  expect((await globalOf(west, 'crm')).GlobalClusterMembers).toEqual([]);
  await east.send(
    new ModifyGlobalClusterCommand({ GlobalClusterIdentifier: 'crm', DeletionProtection: true }),
  );
  expect(
    await errorOf(west.send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: 'crm' }))),
  ).toMatchObject({
    name: 'InvalidParameterCombination',
    message: expect.stringContaining('DeletionProtection=false'),
  });
  await east.send(
    new ModifyGlobalClusterCommand({ GlobalClusterIdentifier: 'crm', DeletionProtection: false }),
  );
  await west.send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: 'crm' }));
  await eventually(
    () => errorOf(east.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'crm' }))),
    (e) => e?.name === 'GlobalClusterNotFoundFault',
  );
});

test('a switchover in flight survives a restart of the emulator (--state-dir) and completes', async () => {
  await globalPair('kept');
  await h.admin('POST', 'config', { profile: { globalSwitchoverPromote: 10 * 60_000 } });
  await east.send(
    new SwitchoverGlobalClusterCommand({
      GlobalClusterIdentifier: 'kept',
      TargetDbClusterIdentifier: arn('us-west-2', 'kept-west'),
    }),
  );
  await eventually(
    () => globalOf(east, 'kept'),
    // The model's enum omits `switching-over`, which the API documents and the emulator reports.
    (g) => (g.FailoverState?.Status as string | undefined) === 'switching-over',
  );
  const saved = encodeState(await h.rds.persistence.dump());
  await h.admin('POST', 'config', { profile: 'realistic' });

  const again = await startHarness();
  const westAgain = new RDSClient({
    endpoint: again.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    await again.rds.persistence.load(decodeState(saved));
    expect((await globalOf(westAgain, 'kept')).Status).toBe('switching-over');
    const done = await eventually(
      () => globalOf(westAgain, 'kept'),
      (g) => g.Status === 'available' && g.FailoverState === undefined,
    );
    expect(writerArn(done)).toBe(arn('us-west-2', 'kept-west'));
  } finally {
    westAgain.destroy();
    await again.close();
  }
});

test('an empty global cluster: the first member is the primary (it needs a master user), its first instance writes', async () => {
  await east.send(
    new CreateGlobalClusterCommand({ GlobalClusterIdentifier: 'fresh', Engine: 'aurora-postgresql' }),
  );
  expect(
    await errorOf(east.send(new CreateGlobalClusterCommand({ GlobalClusterIdentifier: 'engineless' }))),
  ).toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringContaining('Engine') });
  await settled(east, 'fresh');
  expect(
    await errorOf(
      west.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'fresh-west',
          Engine: 'aurora-mysql',
          GlobalClusterIdentifier: 'fresh',
        }),
      ),
    ),
  ).toMatchObject({
    name: 'InvalidParameterCombination',
    message: expect.stringContaining('aurora-postgresql'),
  });
  expect(
    await errorOf(
      west.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'fresh-west',
          Engine: 'aurora-postgresql',
          GlobalClusterIdentifier: 'fresh',
        }),
      ),
    ),
  ).toMatchObject({ name: 'MissingParameter', message: expect.stringContaining('MasterUsername') });
  await west.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'fresh-west',
      Engine: 'aurora-postgresql',
      GlobalClusterIdentifier: 'fresh',
      MasterUsername: 'app',
    }),
  );
  await eventually(
    () => clusterOf(west, 'fresh-west'),
    (c) => c.Status === 'available',
  );
  await west.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'fresh-west-1',
      DBClusterIdentifier: 'fresh-west',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
    }),
  );
  const g = await globalOf(east, 'fresh');
  expect(writerArn(g)).toBe(arn('us-west-2', 'fresh-west'));
  expect((await clusterOf(west, 'fresh-west')).DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);

  // A secondary without instances (headless) cannot be switched or failed over to.
  await east.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'fresh-east',
      Engine: 'aurora-postgresql',
      GlobalClusterIdentifier: 'fresh',
    }),
  );
  await eventually(
    () => clusterOf(east, 'fresh-east'),
    (c) => c.Status === 'available',
  );
  expect(
    await errorOf(
      west.send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: 'fresh',
          TargetDbClusterIdentifier: arn('us-east-1', 'fresh-east'),
        }),
      ),
    ),
  ).toMatchObject({ name: 'InvalidDBClusterStateFault', message: expect.stringContaining('headless') });
});

test('IAM reads the tags of a global cluster (its ARN has no region) and of a cluster in another region', async () => {
  const optIn = [{ Key: 'rewind:allow', Value: 'true' }];
  // Both kept by us-west-2; the emulator's home region is us-east-1.
  await west.send(
    new CreateGlobalClusterCommand({
      GlobalClusterIdentifier: 'Tagged',
      Engine: 'aurora-postgresql',
      Tags: optIn,
    }),
  );
  await west.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'tagged-west',
      Engine: 'aurora-postgresql',
      MasterUsername: 'app',
      MasterUserPassword: 'secret123',
      Tags: optIn,
    }),
  );
  expect(h.rds.resourceFacts(`arn:aws:rds::${ACCOUNT}:global-cluster:tagged`)?.tags).toEqual(optIn);
  expect(h.rds.resourceFacts(arn('us-west-2', 'tagged-west'))?.tags).toEqual(optIn);
  expect(h.rds.resourceFacts(arn('us-east-1', 'tagged-west'))).toBeUndefined();
  expect(h.rds.resourceFacts(`arn:aws:rds::111111111111:global-cluster:tagged`)).toBeUndefined();
});
