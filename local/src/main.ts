/**
 * Child-process entry of `spawnLocalCloud`: `node --import tsx local/src/main.ts`, options as JSON in
 * REWIND_LOCAL_OPTIONS. Reports readiness over IPC; stops on a `stop` message, and dies with its parent
 * (IPC disconnect or stdin end).
 */
import { exitWithParent } from './childProcess';
import { startLocalCloud, type LocalCloud } from './cloud';
import type { ChildMessage } from './spawn';
import { OPTIONS_ENV } from './spawn';

const send = (m: ChildMessage) => process.send?.(m);
let cloud: LocalCloud | undefined;

async function main(): Promise<void> {
  const shutdown = exitWithParent(async () => cloud?.stop());
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
