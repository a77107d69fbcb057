import {
  AddTagsToResourceCommand,
  CreateDBSnapshotCommand,
  CreateEventSubscriptionCommand,
  DeleteEventSubscriptionCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeDBClusterParameterGroupsCommand,
  DescribeDBSnapshotsCommand,
  DescribeEventsCommand,
  DescribeEventSubscriptionsCommand,
  DescribeOptionGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-rds';
import { createInstance, eventually, instanceUntil, useHarness, type Harness } from './harness';

let h: Harness;
useHarness((x) => (h = x));

async function createAvailable(id: string): Promise<void> {
  await createInstance(h, id);
  await instanceUntil(h, id, 'available');
}

test('DescribeEvents: source type / identifier, time window, duration, categories', async () => {
  const t0 = new Date();
  await createAvailable('ev-1');
  await createAvailable('ev-2');
  const all = await h.client.send(new DescribeEventsCommand({}));
  expect(all.Events?.length).toBe(6);
  const one = await h.client.send(
    new DescribeEventsCommand({ SourceType: 'db-instance', SourceIdentifier: 'ev-1' }),
  );
  expect(one.Events?.map((e) => e.Message)).toEqual([
    'DB instance created',
    'Backing up DB instance',
    'Finished DB Instance backup',
  ]);
  expect(one.Events?.[0]).toMatchObject({
    SourceIdentifier: 'ev-1',
    SourceType: 'db-instance',
    EventCategories: ['creation'],
    SourceArn: 'arn:aws:rds:us-east-1:000000000000:db:ev-1',
  });
  expect(one.Events?.[0]?.Date).toBeInstanceOf(Date);
  const backups = await h.client.send(new DescribeEventsCommand({ EventCategories: ['backup'] }));
  expect(backups.Events?.length).toBe(4);
  const future = await h.client.send(new DescribeEventsCommand({ StartTime: new Date(Date.now() + 60_000) }));
  expect(future.Events).toEqual([]);
  const window = await h.client.send(new DescribeEventsCommand({ StartTime: t0, EndTime: new Date() }));
  expect(window.Events?.length).toBe(6);
  const recent = await h.client.send(new DescribeEventsCommand({ Duration: 60 }));
  expect(recent.Events?.length).toBe(6);
  const snapshots = await h.client.send(new DescribeEventsCommand({ SourceType: 'db-snapshot' }));
  expect(snapshots.Events).toEqual([]);
  await expect(h.client.send(new DescribeEventsCommand({ SourceIdentifier: 'ev-1' }))).rejects.toMatchObject({
    name: 'InvalidParameterCombination',
  });
});

test('event subscriptions publish RDS SNS messages filtered by source type, categories and source ids', async () => {
  const topic = 'arn:aws:sns:us-east-1:000000000000:rds-events';
  await h.client.send(
    new CreateEventSubscriptionCommand({
      SubscriptionName: 'all-instances',
      SnsTopicArn: topic,
      SourceType: 'db-instance',
    }),
  );
  await h.client.send(
    new CreateEventSubscriptionCommand({
      SubscriptionName: 'ev-2-backups',
      SnsTopicArn: `${topic}-2`,
      SourceType: 'db-instance',
      SourceIds: ['ev-2'],
      EventCategories: ['backup'],
    }),
  );
  await expect(
    h.client.send(
      new CreateEventSubscriptionCommand({
        SubscriptionName: 'x',
        SnsTopicArn: topic,
        EventCategories: ['nonsense'],
      }),
    ),
  ).rejects.toMatchObject({ name: 'SubscriptionCategoryNotFoundFault' });
  await expect(
    h.client.send(
      new CreateEventSubscriptionCommand({ SubscriptionName: 'all-instances', SnsTopicArn: topic }),
    ),
  ).rejects.toMatchObject({ name: 'SubscriptionAlreadyExistFault' });
  const subs = await h.client.send(new DescribeEventSubscriptionsCommand({}));
  expect(
    subs.EventSubscriptionsList?.map((s) => [
      s.CustSubscriptionId,
      s.SourceType,
      s.SourceIdsList,
      s.EventCategoriesList,
    ]),
  ).toEqual([
    ['all-instances', 'db-instance', undefined, undefined],
    ['ev-2-backups', 'db-instance', ['ev-2'], ['backup']],
  ]);
  await createAvailable('ev-1');
  await createAvailable('ev-2');
  await h.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'ev-1', DBSnapshotIdentifier: 'ev-1-snap' }),
  );
  await eventually(
    () => h.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'ev-1-snap' })),
    (r) => r.DBSnapshots?.[0]?.Status === 'available',
  );
  const toAll = h.sns.messages.filter((m) => m.topicArn === topic);
  expect(toAll.length).toBe(6);
  const toBackups = h.sns.messages.filter((m) => m.topicArn === `${topic}-2`);
  expect(toBackups.map((m) => JSON.parse(m.message)['Event Message'])).toEqual([
    'Backing up DB instance',
    'Finished DB Instance backup',
  ]);
  const msg = JSON.parse(toAll[0]?.message as string) as Record<string, string>;
  expect(toAll[0]?.subject).toBe('RDS Notification Message');
  expect(msg).toEqual({
    'Event Source': 'db-instance',
    'Event Time': expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/),
    'Identifier Link': 'https://console.aws.amazon.com/rds/home?region=us-east-1#dbinstance:id=ev-1',
    'Source ID': 'ev-1',
    'Source ARN': 'arn:aws:rds:us-east-1:000000000000:db:ev-1',
    'Event ID':
      'http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#RDS-EVENT-0005',
    'Event Message': 'DB instance created',
  });
  await h.client.send(new DeleteEventSubscriptionCommand({ SubscriptionName: 'all-instances' }));
  await expect(
    h.client.send(new DescribeEventSubscriptionsCommand({ SubscriptionName: 'all-instances' })),
  ).rejects.toMatchObject({ name: 'SubscriptionNotFoundFault' });
});

test('quirks: no rds: prefix and EventID omitted on cluster / snapshot events', async () => {
  h.rds.configure({ quirks: { omitEventIdRate: 1, sourceIdentifierPrefix: 'none' } });
  await createAvailable('q-1');
  await h.client.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'q-1', DBSnapshotIdentifier: 'q-snap' }),
  );
  await eventually(
    () => h.bus.entries.length,
    (n) => n === 5,
  );
  const snapEvents = h.bus.entries
    .filter((e) => e.entry.detailType === 'RDS DB Snapshot Event')
    .map((e) => e.entry.detail);
  expect(snapEvents.every((d) => !('EventID' in d))).toBe(true);
  expect(snapEvents.map((d) => d['SourceIdentifier'])).toEqual(['q-snap', 'q-snap']);
  const instanceEvents = h.bus.entries
    .filter((e) => e.entry.detailType === 'RDS DB Instance Event')
    .map((e) => e.entry.detail);
  expect(
    instanceEvents.every((d) => typeof d['EventID'] === 'string' && d['SourceIdentifier'] === 'q-1'),
  ).toBe(true);
});

test('tags: add, list, remove; follow a rename', async () => {
  await createAvailable('tg');
  const arn = 'arn:aws:rds:us-east-1:000000000000:db:tg';
  await h.client.send(
    new AddTagsToResourceCommand({
      ResourceName: arn,
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
    }),
  );
  await h.client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'a', Value: '3' }] }));
  await h.client.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['b'] }));
  expect((await h.client.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList).toEqual([
    { Key: 'a', Value: '3' },
  ]);
  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'tg',
      NewDBInstanceIdentifier: 'tg2',
      ApplyImmediately: true,
    }),
  );
  await expect(h.client.send(new ListTagsForResourceCommand({ ResourceName: arn }))).rejects.toMatchObject({
    name: 'DBInstanceNotFoundFault',
  });
  const moved = await h.client.send(
    new ListTagsForResourceCommand({ ResourceName: 'arn:aws:rds:us-east-1:000000000000:db:tg2' }),
  );
  expect(moved.TagList).toEqual([{ Key: 'a', Value: '3' }]);
});

test('default groups exist from the start', async () => {
  const pgs = await h.client.send(new DescribeDBParameterGroupsCommand({}));
  expect(pgs.DBParameterGroups?.map((g) => g.DBParameterGroupName)).toEqual(
    expect.arrayContaining(['default.postgres16', 'default.mysql8.0', 'default.aurora-mysql8.0']),
  );
  const cpgs = await h.client.send(new DescribeDBClusterParameterGroupsCommand({}));
  expect(cpgs.DBClusterParameterGroups?.map((g) => g.DBClusterParameterGroupName)).toEqual(
    expect.arrayContaining(['default.aurora-postgresql16']),
  );
  const ogs = await h.client.send(new DescribeOptionGroupsCommand({ EngineName: 'postgres' }));
  expect(ogs.OptionGroupsList?.map((g) => g.OptionGroupName)).toEqual(['default:postgres-16']);
  const subnets = await h.client.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: 'default' }));
  expect(subnets.DBSubnetGroups?.[0]?.Subnets?.map((s) => s.SubnetAvailabilityZone?.Name)).toEqual([
    'us-east-1a',
    'us-east-1b',
    'us-east-1c',
  ]);
  await expect(
    h.client.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: 'nope' })),
  ).rejects.toMatchObject({
    name: 'DBParameterGroupNotFoundFault',
  });
});

test('observation: call counts per action and identifier, history, admin routes, reset', async () => {
  await createAvailable('obs');
  await h.client.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: 'obs',
      DeletionProtection: true,
      ApplyImmediately: true,
    }),
  );
  const counts = h.rds.callCounts();
  expect(counts.byAction['CreateDBInstance']).toBe(1);
  expect(counts.byAction['ModifyDBInstance']).toBe(1);
  expect(counts.byIdentifier['obs']?.['CreateDBInstance']).toBe(1);
  expect(counts.byIdentifier['obs']?.['ModifyDBInstance']).toBe(1);
  const history = (await h.admin('GET', 'history?identifier=obs')).json as {
    kind: string;
    entries: { status: string; time: string }[];
  }[];
  expect(history[0]?.kind).toBe('instance');
  expect(history[0]?.entries.map((e) => e.status).slice(0, 3)).toEqual([
    'creating',
    'backing-up',
    'available',
  ]);
  expect(Date.parse(history[0]?.entries[0]?.time as string)).not.toBeNaN();
  const calls = (await h.admin('GET', 'calls')).json as { byAction: Record<string, number> };
  expect(calls.byAction['CreateDBInstance']).toBe(1);
  const availability = (await h.admin('GET', 'availability')).json as {
    address: string;
    intervals: unknown[];
  }[];
  expect(availability[0]?.address).toBe(`obs.${h.rds.endpointHash}.us-east-1.rds.amazonaws.com`);
  const events = (await h.admin('GET', 'events')).json as unknown[];
  expect(events.length).toBe(3);
  expect((await h.admin('POST', 'reset')).status).toBe(200);
  expect(h.rds.history()).toEqual([]);
  expect(h.rds.callCounts().byAction).toEqual({});
  expect((await h.client.send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
  expect((await h.client.send(new DescribeEventsCommand({}))).Events).toEqual([]);
});
