import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { resourceNames, type ResourceNames } from '@rewind/shared/src/resourceNames';
import { topology, type ServiceName } from '@rewind/shared/src/topology';
import { ProvisionError } from '../errors';
import { ensureArchive, ensureBus, ensureRule } from './bus';
import { awsClients, type AwsTarget } from './clients';
import { ensureQueue, eventBridgeSendPolicy, type QueueRef } from './queues';
import { ensureStateTable } from './table';

export interface ProvisionOptions extends AwsTarget {
  prefix?: string;
  /** Skip the bus, archive and rules (when no EventBridge is available). Default true. */
  eventBridge?: boolean;
  /** Role EventBridge assumes to put on the Rewind bus (required by real AWS for bus targets). */
  forwardingRoleArn?: string;
}

/** EventBridge retries a target for up to a day before giving up to the target DLQ. */
export const TARGET_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

export interface ProvisionedService {
  inbox: QueueRef;
  inboxDlq: QueueRef;
  targetDlq: QueueRef;
  rules: { name: string; arn: string; pattern: Record<string, unknown> }[];
}

export interface ProvisionedResources {
  prefix: string;
  bus?: { name: string; arn: string };
  archive?: { name: string; arn: string };
  forwardingRule?: { name: string; arn: string };
  table: { name: string; arn: string; statusIndexName: string };
  alarmTopicArn: string;
  services: Record<ServiceName, ProvisionedService>;
}

async function step<T>(resource: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new ProvisionError(resource, err);
  }
}

async function provisionService(
  clients: ReturnType<typeof awsClients>,
  names: ResourceNames,
  service: (typeof topology.services)[number],
  bus: { name: string } | undefined,
): Promise<ProvisionedService> {
  const { sqs, events } = clients;
  const inboxDlq = await step(names.inboxDlq(service.name), () =>
    ensureQueue(sqs, names.inboxDlq(service.name), { MessageRetentionPeriod: '1209600' }),
  );
  const targetDlq = await step(names.targetDlq(service.name), () =>
    ensureQueue(sqs, names.targetDlq(service.name), { MessageRetentionPeriod: '1209600' }),
  );
  const inbox = await step(names.inboxQueue(service.name), () =>
    ensureQueue(sqs, names.inboxQueue(service.name), {
      VisibilityTimeout: String(service.inbox.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(service.inbox.messageRetentionSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: inboxDlq.arn,
        maxReceiveCount: service.inbox.maxReceiveCount,
      }),
    }),
  );
  const rules: ProvisionedService['rules'] = [];
  if (bus) {
    for (const rule of service.rules) {
      const name = names.rule(service.name, rule.name);
      const created = await step(`rule ${name}`, () =>
        ensureRule(events, {
          name,
          busName: bus.name,
          description: rule.description,
          pattern: rule.pattern,
          target: {
            Id: 'inbox',
            Arn: inbox.arn,
            RetryPolicy: TARGET_RETRY_POLICY,
            DeadLetterConfig: { Arn: targetDlq.arn },
          },
        }),
      );
      rules.push({ ...created, pattern: rule.pattern });
    }
    const ruleArns = rules.map((r) => r.arn);
    await step(`policies of ${inbox.name}`, async () => {
      for (const queue of [inbox, targetDlq]) {
        await sqs.send(
          new SetQueueAttributesCommand({
            QueueUrl: queue.url,
            Attributes: { Policy: eventBridgeSendPolicy(queue.arn, ruleArns) },
          }),
        );
      }
    });
  }
  return { inbox, inboxDlq, targetDlq, rules };
}

/**
 * Creates (or updates) everything `topology` needs, through the AWS SDK, against any endpoint.
 * Idempotent: running it twice leaves the same resources.
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionedResources> {
  const names = resourceNames(options.prefix);
  const clients = awsClients(options);
  try {
    const withBus = options.eventBridge ?? true;
    const bus = withBus
      ? await step(`bus ${names.busName}`, () => ensureBus(clients.events, names.busName))
      : undefined;
    const archive = bus
      ? await step(`archive ${names.archiveName}`, () =>
          ensureArchive(clients.events, names.archiveName, bus.arn),
        )
      : undefined;
    const forwardingRule = bus
      ? await step(`rule ${names.forwardingRule}`, () =>
          ensureRule(clients.events, {
            name: names.forwardingRule,
            busName: 'default',
            description: topology.rdsForwarding.description,
            pattern: topology.rdsForwarding.pattern,
            target: {
              Id: 'rewind-bus',
              Arn: bus.arn,
              ...(options.forwardingRoleArn ? { RoleArn: options.forwardingRoleArn } : {}),
            },
          }),
        )
      : undefined;
    const table = await step(`table ${names.tableName}`, () => ensureStateTable(clients.dynamodb, names));
    const topic = await step(`topic ${names.alarmTopicName}`, () =>
      clients.sns.send(new CreateTopicCommand({ Name: names.alarmTopicName })),
    );
    const services = {} as Record<ServiceName, ProvisionedService>;
    for (const service of topology.services)
      services[service.name] = await provisionService(clients, names, service, bus);
    return {
      prefix: names.prefix,
      bus,
      archive,
      forwardingRule,
      table: { ...table, statusIndexName: names.statusIndexName },
      alarmTopicArn: topic.TopicArn ?? '',
      services,
    };
  } finally {
    clients.destroy();
  }
}
