/** Test harness: the emulator behind a tiny HTTP server, a real SDK client and a recording SQS fake. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createEventBridge,
  type DeliveryOptions,
  type EventBridgeEmulator,
  type SqsSender,
} from '../../src/eventbridge';
import { readLocalRequest, writeLocalResponse } from '../../src/http';

export const IDENTITY = { accountId: '000000000000', region: 'us-east-1' };
export const queueArn = (name: string): string => `arn:aws:sqs:us-east-1:000000000000:${name}`;
export const busArn = (name: string): string => `arn:aws:events:us-east-1:000000000000:event-bus/${name}`;

interface SentMessage {
  queueArn: string;
  body: string;
  messageGroupId?: string;
  at: number;
}

/** Records every message; queues listed in `failures` throw that many times (Infinity: always). */
class RecordingSqs implements SqsSender {
  readonly sent: SentMessage[] = [];
  readonly failures = new Map<string, number>();
  attempts = 0;

  async send(arn: string, body: string, opts?: { messageGroupId?: string }): Promise<void> {
    this.attempts++;
    const left = this.failures.get(arn) ?? 0;
    if (left > 0) {
      this.failures.set(arn, left - 1);
      throw new Error(`queue ${arn} unavailable`);
    }
    this.sent.push({ queueArn: arn, body, messageGroupId: opts?.messageGroupId, at: Date.now() });
  }

  to(arn: string): SentMessage[] {
    return this.sent.filter((m) => m.queueArn === arn);
  }

  /** Parsed bodies sent to `arn`. */
  events(arn: string): Record<string, unknown>[] {
    return this.to(arn).map((m) => JSON.parse(m.body) as Record<string, unknown>);
  }
}

export interface Harness {
  client: EventBridgeClient;
  emulator: EventBridgeEmulator;
  sqs: RecordingSqs;
  logs: string[];
  endpoint: string;
  close(): Promise<void>;
}

export async function startHarness(
  delivery: DeliveryOptions = { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
): Promise<Harness> {
  const sqs = new RecordingSqs();
  const logs: string[] = [];
  const emulator = createEventBridge({ identity: IDENTITY, sqs, log: (l) => logs.push(l), delivery });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const local = await readLocalRequest(req);
      const prefix = '/_rewind/events/';
      const response = local.path.startsWith(prefix)
        ? await emulator.admin(local, local.path.slice(prefix.length))
        : await emulator.handle(local);
      writeLocalResponse(res, response);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    client,
    emulator,
    sqs,
    logs,
    endpoint,
    async close() {
      client.destroy();
      await emulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  ms = 3000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Awaits a rejection and checks the SDK error's name (unmodeled AWS errors have no class to match). */
export async function rejectsWith(
  p: Promise<unknown>,
  name: string,
  message?: string | RegExp,
): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).name).toBe(name);
  if (message !== undefined) expect((err as Error).message).toMatch(message);
}

/** Starts a fresh harness before each test and closes it after; the returned object follows the current one. */
export function useHarness(delivery?: DeliveryOptions): Harness {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(delivery);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const get = (): Harness => {
    if (!current) throw new Error('harness not started');
    return current;
  };
  return {
    get client() {
      return get().client;
    },
    get emulator() {
      return get().emulator;
    },
    get sqs() {
      return get().sqs;
    },
    get logs() {
      return get().logs;
    },
    get endpoint() {
      return get().endpoint;
    },
    close: () => get().close(),
  };
}
