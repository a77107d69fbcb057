/**
 * EventBridge Scheduler on the local cloud, through the edge with the real SDK: the API and its
 * validation errors, firings on the cloud clock (advanced, not waited for) in order with their scheduled
 * times, time zones, and the target role evaluated with the deployment's scheduler role.
 */
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnLocalCloud, type LocalCloud } from '../../src';
import type { Firing } from '../../src/scheduler';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const BUS = 'rewind-local';
const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`;
/** The role the deployment generates for its schedules (deploy/schedules.ts), as the local cloud knows it. */
const SCHEDULER_ROLE = `arn:aws:iam::${ACCOUNT}:role/rewind-local-scheduler`;

let cloud: LocalCloud;
let scheduler: SchedulerClient;
let events: EventBridgeClient;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await spawnLocalCloud({ provision: false, functions: false });
  const config = {
    endpoint: cloud.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  scheduler = new SchedulerClient(config);
  events = new EventBridgeClient(config);
  sqs = new SQSClient(config);
  await events.send(new CreateEventBusCommand({ Name: BUS }));
});
afterAll(async () => {
  scheduler?.destroy();
  events?.destroy();
  sqs?.destroy();
  await cloud?.stop();
});

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
}

async function drain(url: string, atLeast: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < 50 && out.length < atLeast; i++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    out.push(...(r.Messages ?? []));
  }
  return out;
}

const firings = async (): Promise<Firing[]> =>
  (await cloud.admin.get<{ firings: Firing[] }>('scheduler/firings')).firings;

function busSchedule(
  name: string,
  over: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: 'rate(1 day)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: BUS_ARN,
      RoleArn: SCHEDULER_ROLE,
      Input: JSON.stringify({ requestId: `${name}/<aws.scheduler.scheduled-time>` }),
      EventBridgeParameters: { DetailType: 'RestoreRequested', Source: 'rewind.scheduler' },
    },
    ...over,
  };
}

async function errorName(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'no error';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

it('answers the schedule API as AWS does, with its validation errors', async () => {
  expect(
    await errorName(
      scheduler.send(
        new CreateScheduleCommand(busSchedule('both-days', { ScheduleExpression: 'cron(0 3 * * MON *)' })),
      ),
    ),
  ).toMatch(/^ValidationException: .*\? in exactly one of day-of-month and day-of-week/);
  expect(
    await errorName(
      scheduler.send(new CreateScheduleCommand(busSchedule('plural', { ScheduleExpression: 'rate(2 day)' }))),
    ),
  ).toMatch(/^ValidationException: .*rate\(2 days\)/);
  expect(
    await errorName(
      scheduler.send(
        new CreateScheduleCommand(busSchedule('tz', { ScheduleExpressionTimezone: 'Mars/Olympus' })),
      ),
    ),
  ).toMatch(/^ValidationException: Invalid ScheduleExpressionTimezone/);
  expect(
    await errorName(
      scheduler.send(new CreateScheduleCommand(busSchedule('nogroup', { GroupName: 'missing' }))),
    ),
  ).toBe('ResourceNotFoundException: Schedule group missing does not exist.');
  const noParams = busSchedule('noparams');
  delete noParams.Target!.EventBridgeParameters;
  expect(await errorName(scheduler.send(new CreateScheduleCommand(noParams)))).toMatch(
    /^ValidationException: EventBridgeParameters/,
  );

  await scheduler.send(new CreateScheduleGroupCommand({ Name: 'rewind-local-schedules' }));
  const { ScheduleArn } = await scheduler.send(
    new CreateScheduleCommand(
      busSchedule('kept', { GroupName: 'rewind-local-schedules', State: 'DISABLED' }),
    ),
  );
  expect(ScheduleArn).toBe(`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/rewind-local-schedules/kept`);
  expect(
    await errorName(
      scheduler.send(new CreateScheduleCommand(busSchedule('kept', { GroupName: 'rewind-local-schedules' }))),
    ),
  ).toBe('ConflictException: Schedule kept already exists.');
  await scheduler.send(
    new UpdateScheduleCommand({
      ...busSchedule('kept', { GroupName: 'rewind-local-schedules', State: 'DISABLED' }),
      ScheduleExpression: 'cron(30 1 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    }),
  );
  const got = await scheduler.send(
    new GetScheduleCommand({ Name: 'kept', GroupName: 'rewind-local-schedules' }),
  );
  expect(got).toMatchObject({
    Name: 'kept',
    GroupName: 'rewind-local-schedules',
    State: 'DISABLED',
    ScheduleExpression: 'cron(30 1 * * ? *)',
    ScheduleExpressionTimezone: 'Europe/Paris',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: BUS_ARN, EventBridgeParameters: { Source: 'rewind.scheduler' } },
  });
  expect(got.CreationDate).toBeInstanceOf(Date);
  const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: 'rewind-local-schedules' }));
  expect(listed.Schedules?.map((s) => [s.Name, s.State, s.Target?.Arn])).toEqual([
    ['kept', 'DISABLED', BUS_ARN],
  ]);
  expect(await errorName(scheduler.send(new GetScheduleCommand({ Name: 'kept' })))).toBe(
    'ResourceNotFoundException: Schedule kept does not exist.',
  );
  await scheduler.send(new DeleteScheduleCommand({ Name: 'kept', GroupName: 'rewind-local-schedules' }));
  expect(
    (await scheduler.send(new ListSchedulesCommand({ GroupName: 'rewind-local-schedules' }))).Schedules,
  ).toEqual([]);
});

it('fires every due firing in order with its scheduled time when the clock jumps ten days', async () => {
  const inbox = await queue('scheduled-requests');
  await events.send(
    new PutRuleCommand({
      Name: 'requests',
      EventBusName: BUS,
      EventPattern: '{"detail-type":["RestoreRequested"]}',
    }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: 'requests', EventBusName: BUS, Targets: [{ Id: 'q', Arn: inbox.arn }] }),
  );
  await cloud.admin.delete('scheduler/firings');
  await scheduler.send(
    new CreateScheduleCommand(busSchedule('twice-daily', { ScheduleExpression: 'cron(0 */12 * * ? *)' })),
  );
  // 03:00 wall time in Paris: 02:00Z in winter, 01:00Z in summer.
  await scheduler.send(
    new CreateScheduleCommand(
      busSchedule('paris-night', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
      }),
    ),
  );
  const start = Date.parse((await cloud.admin.clock()).now);

  const jump = await cloud.admin.advanceClock({ seconds: 10 * 86_400 });

  expect(Date.parse(jump.now)).toBeGreaterThanOrEqual(start + 10 * 86_400_000);
  const all = await firings();
  const twice = all.filter((f) => f.schedule === 'twice-daily');
  expect(twice).toHaveLength(20);
  expect(twice.every((f) => f.outcome === 'delivered')).toBe(true);
  const times = twice.map((f) => Date.parse(f.scheduledTime));
  expect(times.every((t) => t % (12 * 3_600_000) === 0 && t > start && t <= start + 10 * 86_400_000)).toBe(
    true,
  );
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(new Set(times).size).toBe(20);
  // Both schedules' firings, together, in the order of their scheduled times.
  expect(all.map((f) => Date.parse(f.scheduledTime))).toEqual(
    all.map((f) => Date.parse(f.scheduledTime)).sort((a, b) => a - b),
  );
  const paris = all.filter((f) => f.schedule === 'paris-night').map((f) => f.scheduledTime);
  expect(paris).toHaveLength(10);
  for (const t of paris) {
    const wall = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(wall.format(new Date(t))).toBe('03:00');
  }

  const delivered = (await drain(inbox.url, 30)).map((m) => JSON.parse(m.Body as string));
  expect(delivered).toHaveLength(30);
  const first = delivered.find((e) => e.detail.requestId.startsWith('twice-daily/'));
  expect(first).toMatchObject({ source: 'rewind.scheduler', 'detail-type': 'RestoreRequested' });
  // The event's time is its scheduled time: the clock reads it while the firing is delivered.
  expect(first.detail.requestId).toBe(`twice-daily/${first.time}`);
});

it('delivers only what the target role allows; a refused firing goes to the dead-letter queue and the next still runs', async () => {
  const dlq = await queue('rewind-local-schedules-dlq');
  await cloud.admin.delete('scheduler/firings');
  const base = busSchedule('wrong-source', { ScheduleExpression: 'rate(6 hours)' });
  await scheduler.send(
    new CreateScheduleCommand({
      ...base,
      Target: {
        ...base.Target!,
        EventBridgeParameters: { DetailType: 'RestoreRequested', Source: 'someone.else' },
        DeadLetterConfig: { Arn: dlq.arn },
      },
    }),
  );
  await scheduler.send(
    new CreateScheduleCommand(
      busSchedule('unknown-role', {
        ScheduleExpression: 'rate(6 hours)',
        Target: { ...busSchedule('x').Target!, RoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` },
      }),
    ),
  );

  await cloud.admin.advanceClock({ seconds: 13 * 3600 });

  const all = await firings();
  const refused = all.filter((f) => f.schedule === 'wrong-source');
  expect(refused).toHaveLength(2);
  expect(refused[0]).toMatchObject({
    outcome: 'failed',
    deadLetter: dlq.arn,
    error: { code: 'AccessDeniedException' },
  });
  expect(refused[0]!.error!.message).toMatch(
    /assumed-role\/rewind-local-scheduler\/scheduler.amazonaws.com is not authorized to perform: events:PutEvents/,
  );
  const unknown = all.filter((f) => f.schedule === 'unknown-role');
  expect(unknown.map((f) => f.outcome)).toEqual(['failed', 'failed']);
  expect(unknown[0]!.error!.message).toMatch(/could not assume role .*role\/nobody/);
  const dead = await drain(dlq.url, 2);
  expect(dead).toHaveLength(2);
  expect(dead[0]!.MessageAttributes?.ERROR_CODE?.StringValue).toBe('AccessDeniedException');
  expect(dead[0]!.MessageAttributes?.SCHEDULE_ARN?.StringValue).toBe(
    `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/wrong-source`,
  );
  const denials = await cloud.admin.get<{ denials: { role: string }[] }>('iam/denials');
  expect(denials.denials.map((d) => d.role)).toContain('rewind-local-scheduler');
});

it('fires a one-time schedule once and deletes it when asked; stops a schedule at its end date', async () => {
  for (const s of (await scheduler.send(new ListSchedulesCommand({}))).Schedules ?? [])
    await scheduler.send(new DeleteScheduleCommand({ Name: s.Name, GroupName: s.GroupName }));
  await cloud.admin.delete('scheduler/firings');
  const now = Date.parse((await cloud.admin.clock()).now);
  // A second before the hourly schedule's first firing (now + 1 h): the two never fall in the same
  // millisecond, whatever the clock's milliseconds are now.
  const at = new Date(now + 3_600_000 - 1_000).toISOString().slice(0, 19);
  await scheduler.send(
    new CreateScheduleCommand(
      busSchedule('once', { ScheduleExpression: `at(${at})`, ActionAfterCompletion: 'DELETE' }),
    ),
  );
  await scheduler.send(
    new CreateScheduleCommand(
      busSchedule('hourly-for-3h', {
        ScheduleExpression: 'rate(1 hour)',
        EndDate: new Date(now + 3.5 * 3_600_000),
      }),
    ),
  );
  const next = await cloud.admin.clock();
  expect(next.nextFiring).toBe(`${at}.000Z`);

  // One firing at a time: a test lets the system react between firings.
  const step = await cloud.admin.advanceClock({ seconds: 86_400, stopAfter: 'scheduler' });
  expect(step.now).toBe(`${at}.000Z`);
  await cloud.admin.advanceClock({ seconds: 86_400 });

  const all = await firings();
  expect(all.filter((f) => f.schedule === 'once').map((f) => f.scheduledTime)).toEqual([`${at}Z`]);
  expect(all.filter((f) => f.schedule === 'hourly-for-3h')).toHaveLength(3);
  expect(await errorName(scheduler.send(new GetScheduleCommand({ Name: 'once' })))).toMatch(
    /^ResourceNotFoundException/,
  );
});

it('keeps the cloud clock and the schedules across a restart (--state-dir)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rewind-scheduler-'));
  let kept: LocalCloud | undefined;
  const client = () =>
    new SchedulerClient({
      endpoint: kept!.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  try {
    kept = await spawnLocalCloud({ provision: false, functions: false, quiet: true, stateDir: dir });
    const before = client();
    await before.send(
      new CreateScheduleCommand(busSchedule('kept-daily', { ScheduleExpression: 'cron(0 6 * * ? *)' })),
    );
    before.destroy();
    const { now: jumped } = await kept.admin.advanceClock({ seconds: 30 * 86_400 });
    await kept.stop();

    kept = await spawnLocalCloud({ provision: false, functions: false, quiet: true, stateDir: dir });
    const clock = await kept.admin.clock();
    expect(Date.parse(clock.now)).toBeGreaterThanOrEqual(Date.parse(jumped));
    expect(clock.nextFiring).toMatch(/T06:00:00.000Z$/);
    const after = client();
    expect((await after.send(new GetScheduleCommand({ Name: 'kept-daily' }))).ScheduleExpression).toBe(
      'cron(0 6 * * ? *)',
    );
    after.destroy();
  } finally {
    await kept?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

it("provisions the deployment's schedules (REWIND_SCHEDULES_FILE) and fires them as the deployment's role", async () => {
  const before = process.env.REWIND_SCHEDULES_FILE;
  // Two scheduled runs, as a deployment's policy file holds them (rewind.config.example.json has these too).
  const policyDir = await mkdtemp(join(tmpdir(), 'rewind-schedules-'));
  process.env.REWIND_SCHEDULES_FILE = join(policyDir, 'rewind.config.json');
  await writeFile(
    process.env.REWIND_SCHEDULES_FILE,
    JSON.stringify({
      schedules: [
        {
          name: 'refresh-staging',
          expression: 'cron(0 3 ? * MON-FRI *)',
          timezone: 'Europe/Paris',
          request: { identifier: 'staging-db', task: 'db_restore', isCluster: false },
        },
        {
          name: 'nightly-snapshot',
          expression: 'rate(1 day)',
          request: { identifier: 'orders-db', task: 'create_snapshot_only' },
        },
      ],
    }),
  );
  let deployed: LocalCloud | undefined;
  try {
    deployed = await spawnLocalCloud({ functions: false, quiet: true });
    const client = new SchedulerClient({
      endpoint: deployed.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const listed = await client.send(new ListSchedulesCommand({ GroupName: 'rewind-local-schedules' }));
    expect(listed.Schedules?.map((s) => s.Name)).toEqual(['nightly-snapshot', 'refresh-staging']);
    const staging = await client.send(
      new GetScheduleCommand({ Name: 'refresh-staging', GroupName: 'rewind-local-schedules' }),
    );
    client.destroy();
    expect(staging).toMatchObject({
      ScheduleExpression: 'cron(0 3 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Target: {
        Arn: BUS_ARN,
        RoleArn: SCHEDULER_ROLE,
        DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:rewind-local-schedules-dlq` },
      },
    });

    await deployed.admin.advanceClock({ seconds: 7 * 86_400 });

    const fired = (await deployed.admin.get<{ firings: Firing[] }>('scheduler/firings')).firings;
    expect(fired.filter((f) => f.schedule === 'nightly-snapshot')).toHaveLength(7);
    expect(fired.filter((f) => f.schedule === 'refresh-staging')).toHaveLength(5);
    expect(fired.every((f) => f.outcome === 'delivered')).toBe(true);
  } finally {
    if (before === undefined) delete process.env.REWIND_SCHEDULES_FILE;
    else process.env.REWIND_SCHEDULES_FILE = before;
    await deployed?.stop();
    await rm(policyDir, { recursive: true, force: true });
  }
});
