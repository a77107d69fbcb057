import { RDSClient, type CreateDBInstanceCommandInput } from '@aws-sdk/client-rds';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateStore, captureInstanceConfig, findInstance, type InstanceConfig } from '@rewind/shared';
import { createSampleInstance, spawnLocalCloud, type LocalCloud, type SpawnOptions } from '@rewind/local';

/**
 * End-to-end harness: a spawned local cloud running the real handlers, real SDK clients against its
 * endpoint, and an observer that subscribes to Rewind's events through its own rule and queue, as any
 * other system on the bus would.
 */

export interface ObservedEvent {
  id: string;
  'detail-type': string;
  source: string;
  detail: Record<string, unknown> & {
    run?: { id: string; next: string | null };
    runId?: string;
    requestId?: string;
  };
}

export class Observer {
  readonly events: ObservedEvent[] = [];
  private stopped = false;
  private loop: Promise<void>;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {
    this.loop = this.poll();
  }

  private async poll() {
    while (!this.stopped) {
      const out = await this.sqs
        .send(
          new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        )
        .catch(() => ({ Messages: [] }));
      const messages = out.Messages ?? [];
      for (const m of messages) this.events.push(JSON.parse(m.Body!) as ObservedEvent);
      if (messages.length) {
        await this.sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          )
          .catch(() => undefined);
      }
    }
  }

  /** Events of one run (by run id, or by the request id before the run id is known). */
  ofRun(runId: string): ObservedEvent[] {
    return this.events.filter((e) => e.detail.run?.id === runId || e.detail.runId === runId);
  }

  async waitFor(predicate: (e: ObservedEvent) => boolean, timeoutMs = 60_000): Promise<ObservedEvent> {
    const start = Date.now();
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() - start > timeoutMs) {
        throw new Error(
          `no matching event within ${timeoutMs} ms; seen: ${this.events.map((e) => e['detail-type']).join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop() {
    this.stopped = true;
    await this.loop;
  }
}

export const TERMINAL = ['RunCompleted', 'RunFailed', 'RestoreRejected'];

/**
 * Another system hooked onto a Rewind bus (in the clients' account): its own queue and rule, matching
 * everything Rewind emits.
 */
export async function observeBus(
  sqs: SQSClient,
  events: EventBridgeClient,
  busName: string,
): Promise<Observer> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'e2e-observer' }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await events.send(
    new PutRuleCommand({
      Name: 'e2e-observer',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ['rewind'] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'e2e-observer',
      EventBusName: busName,
      Targets: [{ Id: 'observer', Arn: attrs.Attributes!.QueueArn! }],
    }),
  );
  return new Observer(sqs, QueueUrl!);
}

export interface E2E {
  cloud: LocalCloud;
  rds: RDSClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  store: StateStore;
  observer: Observer;
  /** Publishes a RestoreRequested as a client with its own source; resolves with the run's terminal event. */
  request(
    detail: Record<string, unknown>,
    source?: string,
  ): Promise<{ terminal: ObservedEvent; runId: string }>;
  /** Publishes without waiting. */
  publish(detail: Record<string, unknown>, source?: string): Promise<void>;
  stop(): Promise<void>;
}

let requestCounter = 0;

export async function startE2E(options: SpawnOptions = {}): Promise<E2E> {
  const cloud = await spawnLocalCloud({
    quiet: true,
    ...options,
    rds: { profile: 'realistic', timeScale: 0.002, seed: 42, ...options.rds },
  });
  const common = {
    endpoint: cloud.endpoint,
    region: cloud.identity.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const rds = new RDSClient({ ...common, maxAttempts: 8 });
  const events = new EventBridgeClient(common);
  const sqs = new SQSClient(common);
  const dynamo = new DynamoDBClient(common);
  const store = new StateStore(dynamo, cloud.names.tableName);

  const observer = await observeBus(sqs, events, cloud.names.busName);

  const publish = async (detail: Record<string, unknown>, source = 'my.team') => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: cloud.names.busName,
            Source: source,
            DetailType: 'RestoreRequested',
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries)}`);
  };

  return {
    cloud,
    rds,
    events,
    sqs,
    store,
    observer,
    publish,
    async request(detail, source) {
      const requestId = (detail.requestId as string | undefined) ?? `e2e-${process.pid}-${++requestCounter}`;
      await publish({ ...detail, requestId }, source);
      const first = await observer.waitFor(
        (e) =>
          (e.detail as { requestId?: string }).requestId === requestId &&
          ['RunStarted', 'RestoreRejected'].includes(e['detail-type']),
      );
      const runId = first.detail.run?.id ?? (first.detail.runId as string);
      const terminal = await observer.waitFor(
        (e) =>
          TERMINAL.includes(e['detail-type']) && (e.detail.run?.id === runId || e.detail.runId === runId),
        120_000,
      );
      return { terminal, runId };
    },
    async stop() {
      await observer.stop();
      for (const c of [rds, events, sqs, dynamo]) c.destroy();
      await cloud.stop();
    },
  };
}

/** A production-like opted-in instance (the local cloud's sample: custom groups, Multi-AZ, gp3, deletion
 * protection, IAM auth, log exports, backups, monitoring, Performance Insights, tags); its captured config. */
export async function createProductionInstance(
  rds: RDSClient,
  identifier: string,
  overrides: Partial<CreateDBInstanceCommandInput> = {},
): Promise<InstanceConfig> {
  return captureInstanceConfig(await createSampleInstance(rds, identifier, overrides));
}

export async function waitForStatus(rds: RDSClient, identifier: string, status: string, timeoutMs = 60_000) {
  const start = Date.now();
  for (;;) {
    const db = await findInstance(rds, identifier);
    if (db?.DBInstanceStatus === status) return db;
    if (Date.now() - start > timeoutMs)
      throw new Error(`${identifier} not ${status} (is ${db?.DBInstanceStatus ?? 'absent'})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
