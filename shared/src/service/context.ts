import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SendMessageCommand, SQSClient, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { EventPublisher } from '../bus/publisher';
import { loadConfig, type RewindConfig } from '../config';
import { StateStore } from '../state/store';
import type { ServiceName } from '../topology';
import { createLogger, type Logger } from './logger';

/** Everything a service's domain code needs, injected so unit tests can replace any part. */
export interface ServiceContext {
  service: ServiceName;
  config: RewindConfig;
  store: StateStore;
  publisher: EventPublisher;
  rds: RDSClient;
  sqs: SQSClient;
  log: Logger;
  now: () => Date;
}

const cache = new Map<ServiceName, ServiceContext>();

/**
 * Builds (once per container) the clients from the environment. The RDS client uses adaptive retries:
 * throttling of the account-wide RDS API bucket slows the caller down instead of failing the step.
 */
export function createContext(service: ServiceName, env: NodeJS.ProcessEnv = process.env): ServiceContext {
  const cached = cache.get(service);
  if (cached) return cached;
  const config = loadConfig(env);
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const common = { endpoint, region: env.AWS_REGION };
  const ctx: ServiceContext = {
    service,
    config,
    store: new StateStore(new DynamoDBClient(common), config.tableName),
    publisher: new EventPublisher(new EventBridgeClient(common), { busName: config.busName }),
    rds: new RDSClient({ ...common, maxAttempts: 8, retryMode: 'adaptive' }),
    sqs: new SQSClient(common),
    log: createLogger(service, config.logLevel),
    now: () => new Date(),
  };
  cache.set(service, ctx);
  return ctx;
}

/** A message from a service to its own inbox (deadline checks, outbox flushes), delivered after `delaySeconds` (0-900). */
export async function sendToOwnInbox(ctx: ServiceContext, body: object, delaySeconds: number): Promise<void> {
  await ctx.sqs.send(
    new SendMessageCommand({
      QueueUrl: ctx.config.inboxUrl(ctx.service),
      MessageBody: JSON.stringify(body),
      DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
    }),
  );
}

/** Message attributes of a message a handler moved to its DLQ itself (read by `rewind dlq`). */
export const DLQ_ATTRIBUTES = {
  failureClass: 'rewind-failure-class',
  failureReason: 'rewind-failure-reason',
  service: 'rewind-service',
} as const;

/** The service's inbox DLQ: named after its inbox (`<prefix>-<service>-inbox-dlq`, see resourceNames). */
function ownDlqUrl(ctx: ServiceContext): string {
  return `${ctx.config.inboxUrl(ctx.service)}-dlq`;
}

/** A message the service gives up on at once, moved to its own inbox DLQ with attributes saying why. */
export async function sendToOwnDlq(
  ctx: ServiceContext,
  body: string,
  attributes: Record<string, MessageAttributeValue>,
): Promise<void> {
  await ctx.sqs.send(
    new SendMessageCommand({ QueueUrl: ownDlqUrl(ctx), MessageBody: body, MessageAttributes: attributes }),
  );
}
