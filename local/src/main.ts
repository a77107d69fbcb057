/**
 * Child-process entry of `spawnLocalCloud`: `node --import tsx local/src/main.ts`, options as JSON in
 * REWIND_LOCAL_OPTIONS. Reports readiness over IPC; stops on a `stop` message, and dies with its parent
 * (IPC disconnect or stdin end).
 */
import { startLocalCloud, type LocalCloud } from './cloud';
import type { ChildMessage } from './spawn';
import { OPTIONS_ENV } from './spawn';

const send = (m: ChildMessage) => process.send?.(m);
let cloud: LocalCloud | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    try {
      await cloud?.stop();
    } catch (err) {
      process.stderr.write(`${String(err)}\n`);
      code = code || 1;
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('message', (m: { type?: string }) => void (m?.type === 'stop' && shutdown(0)));
  process.on('disconnect', () => void shutdown(0));
  process.stdin.on('end', () => void shutdown(0));
  process.stdin.resume();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));
  try {
    const options = JSON.parse(process.env[OPTIONS_ENV] ?? '{}') as Parameters<typeof startLocalCloud>[0];
    cloud = await startLocalCloud({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
    send({
      type: 'ready',
      endpoint: cloud.endpoint,
      port: cloud.port,
      identity: cloud.identity,
      prefix: cloud.names.prefix,
      resources: cloud.resources,
      installs: cloud.installs,
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    await shutdown(1);
  }
}

void main();
