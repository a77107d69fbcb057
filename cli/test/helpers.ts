import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { spawnLocalCloud, type LocalCloud } from '@rewind/local';
import { createClients, type Clients } from '../src/context';
import { bufferIo } from '../src/io';
import { run } from '../src/main';
import { createSampleInstance } from '@rewind/local/src/samples';

export const BIN = resolve(__dirname, '../bin/rewind.js');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `rewind <args> --endpoint <endpoint>` in this process, output captured. */
export async function rewindIn(endpoint: string, args: string[]): Promise<CliResult> {
  const io = bufferIo();
  const code = await run([...args, '--endpoint', endpoint], io);
  return { code, out: io.out(), err: io.err() };
}

/** Runs the real `node cli/bin/rewind.js <args>` process. */
export function rewindProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, out, err }));
  });
}

/** A spawned local cloud at time scale 0.002 (RDS durations x 0.002), clients for it, and sample instances. */
export async function startCloud(
  samples: string[] = [],
): Promise<{ cloud: LocalCloud; clients: Clients; stop(): Promise<void> }> {
  const cloud = await spawnLocalCloud({
    quiet: true,
    rds: { profile: 'realistic', timeScale: 0.002, seed: 42 },
  });
  const clients = createClients({
    endpoint: cloud.endpoint,
    local: true,
    region: cloud.identity.region,
    names: cloud.names,
    description: `the local cloud at ${cloud.endpoint}`,
  });
  for (const identifier of samples) await createSampleInstance(clients.rds, identifier);
  return {
    cloud,
    clients,
    async stop() {
      clients.close();
      await cloud.stop();
    },
  };
}

export const json = <T = Record<string, unknown>>(text: string): T => JSON.parse(text) as T;

export interface ListedRun {
  runId: string;
  status: string;
  task: string | null;
  kind: string;
  identifier: string;
  requestId?: string;
  invalidRequest?: boolean;
  reason?: string;
  warnings: string[];
}

/** The run of `requestId` once it ended, as `rewind list --json` shows it (polled). */
export async function endedRun(endpoint: string, requestId: string): Promise<ListedRun> {
  for (;;) {
    const { runs } = json<{ runs: ListedRun[] }>(
      (await rewindIn(endpoint, ['list', '--json', '--limit', '100'])).out,
    );
    const run = runs.find((r) => r.requestId === requestId);
    if (run && run.status !== 'running' && run.status !== 'rolling-back') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}
