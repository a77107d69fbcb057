import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  type EventBridgeClient,
  type Target,
} from '@aws-sdk/client-eventbridge';

async function ignoreExisting(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ResourceAlreadyExistsException)) throw err;
  }
}

export async function ensureBus(
  events: EventBridgeClient,
  name: string,
): Promise<{ name: string; arn: string }> {
  await ignoreExisting(() => events.send(new CreateEventBusCommand({ Name: name })));
  const bus = await events.send(new DescribeEventBusCommand({ Name: name }));
  return { name, arn: bus.Arn ?? '' };
}

/** An archive of everything on the bus, kept forever (RetentionDays 0). */
export async function ensureArchive(
  events: EventBridgeClient,
  name: string,
  busArn: string,
): Promise<{ name: string; arn: string }> {
  await ignoreExisting(() =>
    events.send(
      new CreateArchiveCommand({
        ArchiveName: name,
        EventSourceArn: busArn,
        RetentionDays: 0,
        Description: 'Every event on the Rewind bus, for replay',
      }),
    ),
  );
  const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: name }));
  return { name, arn: archive.ArchiveArn ?? '' };
}

export interface RuleInput {
  name: string;
  busName: string;
  description: string;
  pattern: Record<string, unknown>;
  target: Target;
}

/** PutRule and PutTargets are upserts: running twice leaves one rule with one target. */
export async function ensureRule(
  events: EventBridgeClient,
  input: RuleInput,
): Promise<{ name: string; arn: string }> {
  const rule = await events.send(
    new PutRuleCommand({
      Name: input.name,
      EventBusName: input.busName,
      Description: input.description,
      EventPattern: JSON.stringify(input.pattern),
      State: 'ENABLED',
    }),
  );
  const put = await events.send(
    new PutTargetsCommand({ Rule: input.name, EventBusName: input.busName, Targets: [input.target] }),
  );
  if (put.FailedEntryCount) {
    const entry = put.FailedEntries?.[0];
    throw new Error(`PutTargets on rule ${input.name} failed: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  }
  return { name: input.name, arn: rule.RuleArn ?? '' };
}
