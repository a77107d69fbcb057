import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  InvalidEventPatternException,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { busArn, queueArn, rejectsWith, useHarness } from './harness';

const h = useHarness();

const pattern = JSON.stringify({ source: ['rewind'] });

describe('event buses', () => {
  test('default exists; create, describe, list, delete a custom bus', async () => {
    const def = await h.client.send(new DescribeEventBusCommand({}));
    expect(def).toMatchObject({ Name: 'default', Arn: busArn('default') });

    const created = await h.client.send(new CreateEventBusCommand({ Name: 'rewind', Description: 'ours' }));
    expect(created.EventBusArn).toBe(busArn('rewind'));
    const described = await h.client.send(new DescribeEventBusCommand({ Name: busArn('rewind') }));
    expect(described).toMatchObject({ Name: 'rewind', Description: 'ours' });
    expect(described.CreationTime).toBeInstanceOf(Date);
    expect(Math.abs(described.CreationTime!.getTime() - Date.now())).toBeLessThan(5000);

    const all = await h.client.send(new ListEventBusesCommand({}));
    expect(all.EventBuses?.map((b) => b.Name)).toEqual(['default', 'rewind']);
    const prefixed = await h.client.send(new ListEventBusesCommand({ NamePrefix: 're' }));
    expect(prefixed.EventBuses?.map((b) => b.Name)).toEqual(['rewind']);

    await h.client.send(new DeleteEventBusCommand({ Name: 'rewind' }));
    await expect(h.client.send(new DescribeEventBusCommand({ Name: 'rewind' }))).rejects.toThrow(
      ResourceNotFoundException,
    );
  });

  test('pages with Limit and NextToken', async () => {
    for (const n of ['b1', 'b2', 'b3']) await h.client.send(new CreateEventBusCommand({ Name: n }));
    const first = await h.client.send(new ListEventBusesCommand({ Limit: 2 }));
    expect(first.EventBuses?.map((b) => b.Name)).toEqual(['b1', 'b2']);
    const second = await h.client.send(new ListEventBusesCommand({ Limit: 2, NextToken: first.NextToken }));
    expect(second.EventBuses?.map((b) => b.Name)).toEqual(['b3', 'default']);
    expect(second.NextToken).toBeUndefined();
  });

  test('errors by name', async () => {
    await h.client.send(new CreateEventBusCommand({ Name: 'dup' }));
    const dup = h.client.send(new CreateEventBusCommand({ Name: 'dup' }));
    await expect(dup).rejects.toThrow(ResourceAlreadyExistsException);
    await expect(dup).rejects.toThrow('Event bus dup already exists.');
    await rejectsWith(h.client.send(new DeleteEventBusCommand({ Name: 'default' })), 'ValidationException');
    await rejectsWith(h.client.send(new CreateEventBusCommand({ Name: 'bad name!' })), 'ValidationException');
    await expect(h.client.send(new DescribeEventBusCommand({ Name: 'nope' }))).rejects.toThrow(
      'Event bus nope does not exist.',
    );
  });
});

describe('rules and targets', () => {
  test('PutRule, DescribeRule, ListRules on default and custom buses, with the right ARNs', async () => {
    await h.client.send(new CreateEventBusCommand({ Name: 'rewind' }));
    const onDefault = await h.client.send(new PutRuleCommand({ Name: 'fwd', EventPattern: pattern }));
    expect(onDefault.RuleArn).toBe('arn:aws:events:us-east-1:000000000000:rule/fwd');
    const onCustom = await h.client.send(
      new PutRuleCommand({ Name: 'steps', EventBusName: 'rewind', EventPattern: pattern, Description: 'd' }),
    );
    expect(onCustom.RuleArn).toBe('arn:aws:events:us-east-1:000000000000:rule/rewind/steps');
    await h.client.send(
      new PutRuleCommand({ Name: 'steps-2', EventBusName: busArn('rewind'), EventPattern: pattern }),
    );
    await h.client.send(new PutRuleCommand({ Name: 'other', EventBusName: 'rewind', EventPattern: pattern }));

    const rule = await h.client.send(new DescribeRuleCommand({ Name: 'steps', EventBusName: 'rewind' }));
    expect(rule).toMatchObject({
      Name: 'steps',
      Arn: onCustom.RuleArn,
      EventPattern: pattern,
      State: 'ENABLED',
      Description: 'd',
      EventBusName: 'rewind',
    });
    const listed = await h.client.send(new ListRulesCommand({ EventBusName: 'rewind', NamePrefix: 'steps' }));
    expect(listed.Rules?.map((r) => r.Name)).toEqual(['steps', 'steps-2']);
    const onDefaultList = await h.client.send(new ListRulesCommand({}));
    expect(onDefaultList.Rules?.map((r) => r.Name)).toEqual(['fwd']);
  });

  test('EnableRule and DisableRule', async () => {
    await h.client.send(new PutRuleCommand({ Name: 'r', EventPattern: pattern, State: 'DISABLED' }));
    expect((await h.client.send(new DescribeRuleCommand({ Name: 'r' }))).State).toBe('DISABLED');
    await h.client.send(new EnableRuleCommand({ Name: 'r' }));
    expect((await h.client.send(new DescribeRuleCommand({ Name: 'r' }))).State).toBe('ENABLED');
    await h.client.send(new DisableRuleCommand({ Name: 'r' }));
    expect((await h.client.send(new DescribeRuleCommand({ Name: 'r' }))).State).toBe('DISABLED');
    await expect(h.client.send(new EnableRuleCommand({ Name: 'nope' }))).rejects.toThrow(
      ResourceNotFoundException,
    );
  });

  test('targets: put, list, remove; DeleteRule refused while targets exist', async () => {
    await h.client.send(new CreateEventBusCommand({ Name: 'rewind' }));
    await h.client.send(new PutRuleCommand({ Name: 'r', EventPattern: pattern }));
    const put = await h.client.send(
      new PutTargetsCommand({
        Rule: 'r',
        Targets: [
          {
            Id: 'inbox',
            Arn: queueArn('inbox'),
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: queueArn('dlq') },
          },
          { Id: 'bus', Arn: busArn('rewind'), InputPath: '$.detail' },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const listed = await h.client.send(new ListTargetsByRuleCommand({ Rule: 'r' }));
    expect(listed.Targets).toEqual([
      {
        Id: 'inbox',
        Arn: queueArn('inbox'),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: queueArn('dlq') },
      },
      { Id: 'bus', Arn: busArn('rewind'), InputPath: '$.detail' },
    ]);

    const refused = h.client.send(new DeleteRuleCommand({ Name: 'r' }));
    await rejectsWith(refused, 'ValidationException');
    await expect(refused).rejects.toThrow("Rule can't be deleted since it has targets.");

    await h.client.send(new RemoveTargetsCommand({ Rule: 'r', Ids: ['inbox', 'bus'] }));
    expect((await h.client.send(new ListTargetsByRuleCommand({ Rule: 'r' }))).Targets).toEqual([]);
    await h.client.send(new DeleteRuleCommand({ Name: 'r' }));
    await expect(h.client.send(new DescribeRuleCommand({ Name: 'r' }))).rejects.toThrow(
      'Rule r does not exist on EventBus default.',
    );
  });

  test('PutTargets validation', async () => {
    await h.client.send(new PutRuleCommand({ Name: 'r', EventPattern: pattern }));
    const send = (target: Record<string, unknown>) =>
      h.client.send(
        new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: queueArn('q'), ...target }] }),
      );
    await rejectsWith(send({ RetryPolicy: { MaximumRetryAttempts: 186 } }), 'ValidationException');
    await rejectsWith(send({ RetryPolicy: { MaximumEventAgeInSeconds: 59 } }), 'ValidationException');
    await expect(send({ Input: '{"a":1}', InputPath: '$.detail' })).rejects.toThrow(/only one of Input/);
    await expect(send({ Input: 'not json' })).rejects.toThrow(/Input is not valid JSON/);
    await rejectsWith(
      send({ Arn: busArn('default') }),
      'ValidationException',
      /cannot target the event bus it is on/,
    );
    await rejectsWith(
      send({ Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' }),
      'ValidationException',
    );
    await expect(
      h.client.send(new PutTargetsCommand({ Rule: 'missing', Targets: [{ Id: 't', Arn: queueArn('q') }] })),
    ).rejects.toThrow(ResourceNotFoundException);
    const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: queueArn('q') }));
    await expect(h.client.send(new PutTargetsCommand({ Rule: 'r', Targets: six }))).rejects.toThrow(
      'The requested resource exceeds the maximum number allowed.',
    );
  });

  test('PutRule validation and errors by name', async () => {
    await expect(
      h.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source": "x"}' })),
    ).rejects.toThrow(InvalidEventPatternException);
    await expect(h.client.send(new PutRuleCommand({ Name: 'r', EventPattern: 'not json' }))).rejects.toThrow(
      /Event pattern is not valid/,
    );
    await rejectsWith(h.client.send(new PutRuleCommand({ Name: 'r' })), 'ValidationException');
    await expect(
      h.client.send(new PutRuleCommand({ Name: 'r', EventBusName: 'nope', EventPattern: pattern })),
    ).rejects.toThrow(ResourceNotFoundException);
    await h.client.send(new CreateEventBusCommand({ Name: 'custom' }));
    await expect(
      h.client.send(
        new PutRuleCommand({ Name: 'r', EventBusName: 'custom', ScheduleExpression: 'rate(1 minute)' }),
      ),
    ).rejects.toThrow('ScheduleExpression is supported only on the default event bus.');
  });

  test('TestEventPattern', async () => {
    const event = JSON.stringify({
      id: '1',
      account: '000000000000',
      source: 'rewind',
      time: '2024-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      'detail-type': 'RestoreRequested',
      detail: { db: 'orders' },
    });
    const yes = await h.client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: event }));
    expect(yes.Result).toBe(true);
    const no = await h.client.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"db":[{"prefix":"x"}]}}', Event: event }),
    );
    expect(no.Result).toBe(false);
    await expect(
      h.client.send(
        new TestEventPatternCommand({ EventPattern: '{"source":[{"numeric":[">"]}]}', Event: event }),
      ),
    ).rejects.toThrow(InvalidEventPatternException);
    await expect(
      h.client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: '{"source":"rewind"}' })),
    ).rejects.toThrow(/Parameter Event is not valid/);
  });
});
