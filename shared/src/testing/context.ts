import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventPublisher } from '../bus/publisher';
import { loadConfig } from '../config';
import { createLogger } from '../service/logger';
import type { ServiceContext } from '../service/context';
import { serviceEnvironment, LOCAL_WAIT } from '../serviceEnv';
import type { StateStore } from '../state/store';
import type { ServiceName } from '../topology';

/**
 * A service context for unit tests: a real state store (dynalite), and SDK clients that tests replace
 * with aws-sdk-client-mock (`mockClient(RDSClient)` intercepts every RDSClient).
 */
export function testContext(service: ServiceName, store: StateStore, now = () => new Date()): ServiceContext {
  const env = serviceEnvironment({
    busName: 'rewind-test',
    tableName: store.tableName,
    inboxUrls: { [service]: `https://sqs.us-east-1.amazonaws.com/000000000000/rewind-test-${service}-inbox` },
    wait: LOCAL_WAIT,
    senderEmail: 'rewind@example.com',
    recipientEmails: ['oncall@example.com'],
    slackWebhookUrls: ['https://hooks.slack.test/services/T0/B0/X'],
    logLevel: 'silent',
    accountId: '000000000000',
  });
  const region = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const config = loadConfig({ ...env, AWS_REGION: 'us-east-1' });
  return {
    service,
    config,
    store,
    publisher: new EventPublisher(new EventBridgeClient(region), {
      busName: config.busName,
      sleep: async () => {},
    }),
    rds: new RDSClient({ ...region, maxAttempts: 1 }),
    sqs: new SQSClient(region),
    log: createLogger(service, 'silent'),
    now,
  };
}
