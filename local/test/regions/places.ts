/** Test helpers: real SDK clients for an account in a region of a local cloud, and admin reads. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud } from '../../src';

/** Account A is the local cloud's default; B and C are named by their 12-digit access keys. */
export const ACCOUNT_A = '000000000000';
export const ACCOUNT_B = '222222222222';
export const ACCOUNT_C = '333333333333';

/** A local cloud (child process) without provisioning or functions; RDS at time scale 0.0005, unthrottled. */
export function spawnRdsCloud(): Promise<LocalCloud> {
  return spawnLocalCloud({
    provision: false,
    functions: false,
    rds: { profile: 'realistic', timeScale: 0.0005, throttle: { enabled: false } },
  });
}

/** Real SDK v3 clients for one account (its access key) in one region (the SigV4 scope). */
export function clientsFor(endpoint: string, accessKeyId: string, region: string) {
  const config = { endpoint, region, credentials: { accessKeyId, secretAccessKey: 'test' } };
  const clients = {
    rds: new RDSClient(config),
    kms: new KMSClient(config),
    events: new EventBridgeClient(config),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
  };
  return { ...clients, destroy: () => Object.values(clients).forEach((c) => c.destroy()) };
}

export type Clients = ReturnType<typeof clientsFor>;

/** GET of an admin route, as JSON. */
export async function adminGet<T>(endpoint: string, path: string): Promise<T> {
  const res = await fetch(new URL(`/_rewind/${path}`, endpoint));
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The distinct statuses a resource went through, in order, in one account and region. */
export async function statusesOf(endpoint: string, identifier: string, account: string, region: string) {
  const history = await adminGet<{ entries: { status: string }[] }[]>(
    endpoint,
    `rds/history?identifier=${identifier}&account=${account}&region=${region}`,
  );
  const out: string[] = [];
  for (const h of history)
    for (const e of h.entries) if (out[out.length - 1] !== e.status) out.push(e.status);
  return out;
}

/** The RDS event ids emitted in one account and region for a source identifier. */
export async function eventIdsOf(endpoint: string, identifier: string, account: string, region: string) {
  const events = await adminGet<{ sourceIdentifier: string; eventId: string; message: string }[]>(
    endpoint,
    `rds/events?account=${account}&region=${region}`,
  );
  return events.filter((e) => e.sourceIdentifier === identifier).map((e) => e.eventId);
}

/** Re-evaluates `fn` until `pred` holds (tests only). */
export async function eventually<T>(
  fn: () => Promise<T>,
  pred: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await fn();
    if (pred(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Error name of a rejected call (`undefined` when it succeeded). */
export async function errorOf(
  call: Promise<unknown>,
): Promise<{ name: string; message: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (e) {
    const err = e as Error & { Code?: string };
    return { name: err.Code ?? err.name, message: err.message };
  }
}
