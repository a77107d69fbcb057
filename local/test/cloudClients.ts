import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESClient } from '@aws-sdk/client-ses';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Real SDK v3 clients pointed at a local cloud's edge. */
export function cloudClients(endpoint: string) {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const clients = {
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
    events: new EventBridgeClient(config),
    ses: new SESClient(config),
    sesv2: new SESv2Client(config),
  };
  return { ...clients, destroy: () => Object.values(clients).forEach((c) => c.destroy()) };
}

/** A raw HTTP request to the edge (for unsigned and malformed requests). */
export async function rawRequest(
  endpoint: string,
  init: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL(init.path ?? '/', endpoint), {
    method: init.method ?? 'POST',
    headers: { connection: 'close', ...init.headers },
    body: init.body,
  });
  return { status: res.status, text: await res.text() };
}
