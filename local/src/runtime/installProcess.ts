/**
 * The function runtime of an install in another account (Rewind installed in several accounts), in a child
 * Node process (`installMain.ts`): its functions run with that account's environment and roles, reach the
 * local cloud through its endpoint, and report their invocations to the cloud's log.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { SpawnError } from '../errors';
import { stopChild } from '../childProcess';
import type { FunctionRuntime, FunctionRuntimeOptions } from './functionRuntime';
import { REPO_ROOT } from './handlerLoader';
import type { FunctionStatus, InvocationLog, InvocationRecord } from './invocationLog';

export const INSTALL_OPTIONS_ENV = 'REWIND_INSTALL_OPTIONS';
const MAIN = resolve(__dirname, 'installMain.ts');

/** What the child runs: a function runtime's options, as JSON. */
export type InstallRuntimeOptions = Omit<FunctionRuntimeOptions, 'invocationLog' | 'log' | 'queues'> & {
  endpoint: string;
  accountId: string;
};

export type InstallChildMessage =
  | { type: 'ready'; functions: FunctionStatus[] }
  | { type: 'invocation'; record: InvocationRecord }
  | { type: 'error'; message: string };

/** Starts the child; resolves once its functions are polling their queues. */
export async function spawnInstallRuntime(
  options: InstallRuntimeOptions,
  parent: { invocationLog: InvocationLog; log: (line: string) => void; readyTimeoutMs?: number },
): Promise<FunctionRuntime> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, [INSTALL_OPTIONS_ENV]: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  const tag = `[${options.accountId}] `;
  let pending = '';
  const onOutput = (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) parent.log(tag + line);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let functions: FunctionStatus[] = [];
  await new Promise<void>((ready, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new SpawnError(`The function runtime of account ${options.accountId} ${why}`));
    };
    const timer = setTimeout(
      () => fail(`was not ready within ${parent.readyTimeoutMs ?? 30_000} ms`),
      parent.readyTimeoutMs ?? 30_000,
    );
    child.on('message', (m: InstallChildMessage) => {
      if (m.type === 'invocation') parent.invocationLog.add(m.record);
      else if (m.type === 'ready') {
        clearTimeout(timer);
        functions = m.functions.map((f) => ({ ...f, accountId: options.accountId }));
        ready();
      } else fail(`failed to start: ${m.message}`);
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
    child.once('error', (err) => fail(`could not start: ${err.message}`));
  });
  child.removeAllListeners('exit');
  let stopped: Promise<void> | undefined;
  return { status: () => functions.map((f) => ({ ...f })), stop: () => (stopped ??= stopChild(child)) };
}
