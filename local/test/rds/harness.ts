/** Test harness: the RDS emulator behind a real HTTP server, the real SDK client, recording fakes. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  type CreateDBInstanceCommandInput,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { readLocalRequest, writeLocalResponse } from '../../src/http';
import { createRds, type CreateRdsOptions, type RdsEmulator } from '../../src/rds';
import type { BusIngress, InternalBusEntry } from '../../src/types';

class RecordingBus implements BusIngress {
  readonly entries: { bus: string; entry: InternalBusEntry }[] = [];
  async putInternal(busName: string, entries: InternalBusEntry[]): Promise<void> {
    for (const entry of entries) this.entries.push({ bus: busName, entry });
  }
  eventIds(sourceIdentifier?: string): string[] {
    return this.entries
      .filter(
        (e) =>
          sourceIdentifier === undefined ||
          String(e.entry.detail['SourceArn']).endsWith(`:${sourceIdentifier}`),
      )
      .map((e) => String(e.entry.detail['EventID']));
  }
}

class RecordingSns {
  readonly messages: { topicArn: string; message: string; subject?: string }[] = [];
  async publish(topicArn: string, message: string, subject?: string): Promise<void> {
    this.messages.push({ topicArn, message, subject });
  }
}

export interface Harness {
  rds: RdsEmulator;
  client: RDSClient;
  bus: RecordingBus;
  sns: RecordingSns;
  endpoint: string;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<CreateRdsOptions, 'bus' | 'sns' | 'identity'>> & {
  maxAttempts?: number;
};

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const bus = new RecordingBus();
  const sns = new RecordingSns();
  const { maxAttempts, ...rest } = opts;
  const rds = createRds({
    identity: { accountId: '000000000000', region: 'us-east-1' },
    bus,
    sns,
    profile: 'realistic',
    timeScale: 0.0005,
    throttle: { enabled: false },
    ...rest,
  });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const lr = await readLocalRequest(req);
      const m = /^\/_rewind\/rds(\/.*)?$/.exec(lr.path);
      const r = m ? await rds.admin(lr, m[1] ?? '/') : await rds.handle(lr);
      writeLocalResponse(res, r);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RDSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  });
  return {
    rds,
    client,
    bus,
    sns,
    endpoint,
    async admin(method, path, body) {
      const res = await fetch(`${endpoint}/_rewind/rds/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    },
    async close() {
      client.destroy();
      await rds.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Re-evaluates `fn` until `pred` holds (tests only; the emulator itself uses timers). */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  pred: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (pred(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The distinct statuses a resource went through, in order (from the emulator's history). */
export function statuses(rds: RdsEmulator, identifier: string): string[] {
  const out: string[] = [];
  for (const h of rds.history(identifier)) {
    for (const e of h.entries) if (out[out.length - 1] !== e.status) out.push(e.status);
  }
  return out;
}

/** Starts a fresh harness before each test (handing it to `set`) and closes it after. */
export function useHarness(set: (h: Harness) => void, opts: HarnessOptions = {}): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(opts);
    set(current);
  });
  afterEach(async () => {
    await current?.close();
  });
}

export async function describeInstance(h: Harness, id: string): Promise<DBInstance> {
  const r = await h.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return r.DBInstances?.[0] as DBInstance;
}

export function instanceUntil(h: Harness, id: string, status: string): Promise<DBInstance> {
  return eventually(
    () => describeInstance(h, id),
    (i) => i.DBInstanceStatus === status,
  );
}

/** CreateDBInstance with small PostgreSQL defaults, overridable. */
export async function createInstance(
  h: Harness,
  id: string,
  extra: Partial<CreateDBInstanceCommandInput> = {},
): Promise<void> {
  await h.client.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'admin',
      ...extra,
    }),
  );
}
