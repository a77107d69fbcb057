import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  InvalidEventPatternException,
  ListArchivesCommand,
  ListReplaysCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { busArn, eventually, queueArn, rejectsWith, useHarness } from './harness';

const h = useHarness();
const archiveArn = (name: string) => `arn:aws:events:us-east-1:000000000000:archive/${name}`;

async function putOn(bus: string, details: object[], detailType = 'T') {
  await h.client.send(
    new PutEventsCommand({
      Entries: details.map((d) => ({
        Source: 'rewind',
        DetailType: detailType,
        Detail: JSON.stringify(d),
        EventBusName: bus,
      })),
    }),
  );
}

async function ruleToQueue(name: string, pattern: object, bus = 'rewind') {
  const { RuleArn } = await h.client.send(
    new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }),
  );
  await h.client.send(
    new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 't', Arn: queueArn(name) }] }),
  );
  return RuleArn as string;
}

async function replayDone(name: string) {
  return eventually(async () => {
    const r = await h.client.send(new DescribeReplayCommand({ ReplayName: name }));
    return r.State === 'COMPLETED' || r.State === 'FAILED' ? r : undefined;
  });
}

beforeEach(async () => {
  await h.client.send(new CreateEventBusCommand({ Name: 'rewind' }));
});

describe('archives', () => {
  test('create, describe, list, delete; stores matching events only', async () => {
    const created = await h.client.send(
      new CreateArchiveCommand({
        ArchiveName: 'runs',
        EventSourceArn: busArn('rewind'),
        EventPattern: JSON.stringify({ 'detail-type': ['Keep'] }),
        RetentionDays: 7,
        Description: 'all runs',
      }),
    );
    expect(created).toMatchObject({ ArchiveArn: archiveArn('runs'), State: 'ENABLED' });
    await putOn('rewind', [{ n: 1 }, { n: 2 }], 'Keep');
    await putOn('rewind', [{ n: 3 }], 'Drop');
    await putOn('default', [{ n: 4 }], 'Keep');
    const described = await h.client.send(new DescribeArchiveCommand({ ArchiveName: 'runs' }));
    expect(described).toMatchObject({
      ArchiveArn: archiveArn('runs'),
      ArchiveName: 'runs',
      EventSourceArn: busArn('rewind'),
      RetentionDays: 7,
      EventCount: 2,
      State: 'ENABLED',
      Description: 'all runs',
      EventPattern: JSON.stringify({ 'detail-type': ['Keep'] }),
    });
    expect(described.SizeBytes).toBeGreaterThan(0);

    await h.client.send(
      new CreateArchiveCommand({ ArchiveName: 'other', EventSourceArn: busArn('default') }),
    );
    const listed = await h.client.send(new ListArchivesCommand({ EventSourceArn: busArn('rewind') }));
    expect(listed.Archives?.map((a) => [a.ArchiveName, a.EventCount])).toEqual([['runs', 2]]);
    const all = await h.client.send(new ListArchivesCommand({}));
    expect(all.Archives?.map((a) => a.ArchiveName)).toEqual(['other', 'runs']);

    await h.client.send(new DeleteArchiveCommand({ ArchiveName: 'runs' }));
    await expect(h.client.send(new DescribeArchiveCommand({ ArchiveName: 'runs' }))).rejects.toThrow(
      ResourceNotFoundException,
    );
  });

  test('errors by name', async () => {
    await h.client.send(new CreateArchiveCommand({ ArchiveName: 'a', EventSourceArn: busArn('rewind') }));
    await expect(
      h.client.send(new CreateArchiveCommand({ ArchiveName: 'a', EventSourceArn: busArn('rewind') })),
    ).rejects.toThrow(ResourceAlreadyExistsException);
    await expect(
      h.client.send(new CreateArchiveCommand({ ArchiveName: 'b', EventSourceArn: busArn('missing') })),
    ).rejects.toThrow(ResourceNotFoundException);
    await expect(
      h.client.send(
        new CreateArchiveCommand({
          ArchiveName: 'c',
          EventSourceArn: busArn('rewind'),
          EventPattern: '{"a":1}',
        }),
      ),
    ).rejects.toThrow(InvalidEventPatternException);
    await expect(h.client.send(new DeleteArchiveCommand({ ArchiveName: 'zzz' }))).rejects.toThrow(
      ResourceNotFoundException,
    );
  });
});

describe('replays', () => {
  test('re-delivers archived events in the window with replay-name, and does not archive them again', async () => {
    await h.client.send(new CreateArchiveCommand({ ArchiveName: 'all', EventSourceArn: busArn('rewind') }));
    await ruleToQueue('everything', { source: ['rewind'] });
    await ruleToQueue('live-only', { source: ['rewind'], 'replay-name': [{ exists: false }] });
    const before = new Date(Date.now() - 60_000);
    const old = new Date(Date.now() - 3_600_000);
    await h.client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'rewind', DetailType: 'T', Detail: '{"n":0}', EventBusName: 'rewind', Time: old },
        ],
      }),
    );
    await putOn('rewind', [{ n: 1 }, { n: 2 }]);
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('everything'))).toHaveLength(3);
    expect(h.sqs.to(queueArn('live-only'))).toHaveLength(3);

    const end = new Date(Date.now() + 1000);
    await new Promise((r) => setTimeout(r, 1100));
    const started = await h.client.send(
      new StartReplayCommand({
        ReplayName: 'again',
        EventSourceArn: archiveArn('all'),
        EventStartTime: before,
        EventEndTime: end,
        Destination: { Arn: busArn('rewind') },
      }),
    );
    expect(started).toMatchObject({
      ReplayArn: 'arn:aws:events:us-east-1:000000000000:replay/again',
      State: 'STARTING',
    });
    const done = await replayDone('again');
    expect(done).toMatchObject({
      State: 'COMPLETED',
      ReplayName: 'again',
      EventSourceArn: archiveArn('all'),
    });
    expect(done.EventLastReplayedTime).toBeInstanceOf(Date);
    expect(done.ReplayEndTime).toBeInstanceOf(Date);
    await h.emulator.whenIdle();

    const replayed = h.sqs.events(queueArn('everything')).slice(3);
    expect(replayed.map((e) => (e['detail'] as { n: number }).n).sort()).toEqual([1, 2]);
    for (const e of replayed) expect(e['replay-name']).toBe('again');
    expect(h.sqs.to(queueArn('live-only'))).toHaveLength(3);
    expect((await h.client.send(new DescribeArchiveCommand({ ArchiveName: 'all' }))).EventCount).toBe(3);

    const listed = await h.client.send(new ListReplaysCommand({ NamePrefix: 'ag' }));
    expect(listed.Replays?.map((r) => [r.ReplayName, r.State])).toEqual([['again', 'COMPLETED']]);
  });

  test('FilterArns limits the replay to the given rules', async () => {
    await h.client.send(new CreateArchiveCommand({ ArchiveName: 'all', EventSourceArn: busArn('rewind') }));
    const wanted = await ruleToQueue('wanted', { source: ['rewind'] });
    await ruleToQueue('other', { source: ['rewind'] });
    const start = new Date(Date.now() - 5000);
    await putOn('rewind', [{ n: 1 }]);
    await new Promise((r) => setTimeout(r, 1100));
    await h.client.send(
      new StartReplayCommand({
        ReplayName: 'filtered',
        EventSourceArn: archiveArn('all'),
        EventStartTime: start,
        EventEndTime: new Date(),
        Destination: { Arn: busArn('rewind'), FilterArns: [wanted] },
      }),
    );
    const described = await replayDone('filtered');
    expect(described.Destination).toEqual({ Arn: busArn('rewind'), FilterArns: [wanted] });
    await h.emulator.whenIdle();
    expect(h.sqs.to(queueArn('wanted'))).toHaveLength(2);
    expect(h.sqs.to(queueArn('other'))).toHaveLength(1);
  });

  test('validation and errors by name', async () => {
    await h.client.send(new CreateArchiveCommand({ ArchiveName: 'all', EventSourceArn: busArn('rewind') }));
    const start = (over: Record<string, unknown>) =>
      h.client.send(
        new StartReplayCommand({
          ReplayName: 'r',
          EventSourceArn: archiveArn('all'),
          EventStartTime: new Date(Date.now() - 10_000),
          EventEndTime: new Date(Date.now() - 5_000),
          Destination: { Arn: busArn('rewind') },
          ...over,
        }),
      );
    await rejectsWith(
      start({ EventStartTime: new Date(Date.now() - 1000) }),
      'ValidationException',
      /before EventEndTime/,
    );
    await rejectsWith(
      start({ EventEndTime: new Date(Date.now() + 60_000) }),
      'ValidationException',
      /future/,
    );
    await rejectsWith(
      start({ Destination: { Arn: busArn('default') } }),
      'ValidationException',
      /Cross event bus/,
    );
    await expect(start({ EventSourceArn: archiveArn('nope') })).rejects.toThrow(ResourceNotFoundException);
    await start({});
    await expect(start({})).rejects.toThrow(ResourceAlreadyExistsException);
    await expect(h.client.send(new DescribeReplayCommand({ ReplayName: 'nope' }))).rejects.toThrow(
      ResourceNotFoundException,
    );
  });
});
