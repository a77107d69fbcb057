import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { resourceNames } from '@rewind/shared/src/resourceNames';
import { AdminClient } from './admin/adminClient';
import { stopChild } from './childProcess';
import type { LocalCloud } from './cloud';
import { SpawnError } from './errors';
import type { LocalCloudOptions } from './options';
import type { InstallView } from './installs';
import type { ProvisionedResources } from './provision/provision';
import { REPO_ROOT } from './runtime/handlerLoader';
import type { LocalIdentity } from './types';

export interface SpawnOptions extends LocalCloudOptions {
  /** Receives the child's stdout/stderr (default: kept, and shown only if the child fails to start). */
  output?: (text: string) => void;
  /** Default 30 s. */
  readyTimeoutMs?: number;
}

/** Messages the child (`main.ts`) sends over IPC. */
export type ChildMessage =
  | {
      type: 'ready';
      endpoint: string;
      port: number;
      identity: LocalIdentity;
      prefix: string;
      resources?: ProvisionedResources;
      installs: InstallView[];
    }
  | { type: 'error'; message: string };

export const OPTIONS_ENV = 'REWIND_LOCAL_OPTIONS';
const MAIN = resolve(__dirname, 'main.ts');

/**
 * Starts the local cloud in a child Node process (`node --import tsx local/src/main.ts`), for callers
 * that cannot load ESM-only fauxqs (jest). The child dies with its parent (IPC disconnect or stdin EOF).
 */
export async function spawnLocalCloud(opts: SpawnOptions = {}): Promise<LocalCloud> {
  const { output, readyTimeoutMs = 30_000, ...cloudOptions } = opts;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, [OPTIONS_ENV]: JSON.stringify({ port: 0, ...cloudOptions }) },
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  const kept: string[] = [];
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (output) output(text);
    else {
      kept.push(text);
      if (kept.length > 200) kept.shift();
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolveReady, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new SpawnError(`The local cloud child process ${why}.\n${kept.join('').slice(-4000)}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolveReady(m);
      } else if (m.type === 'error') fail(`failed to start: ${m.message}`);
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
    child.once('error', (err) => fail(`could not start: ${err.message}`));
  });
  child.removeAllListeners('exit');

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await stopChild(child);
    if (child.exitCode !== 0 && child.exitCode !== null) {
      throw new SpawnError(
        `The local cloud child exited with code ${child.exitCode}.\n${kept.join('').slice(-4000)}`,
      );
    }
  };
  return {
    endpoint: ready.endpoint,
    port: ready.port,
    identity: ready.identity,
    names: resourceNames(ready.prefix),
    resources: ready.resources,
    installs: ready.installs,
    admin: new AdminClient(ready.endpoint),
    stop: () => (stopped ??= stop()),
  };
}
