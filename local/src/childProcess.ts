/**
 * Both ends of the local cloud's child processes (the cloud itself, `spawn.ts`; another account's
 * functions, `runtime/installProcess.ts`): the parent stops a child by message, then by force; a child
 * stops on that message and dies with its parent (IPC disconnect, stdin end, SIGINT/SIGTERM).
 */
import type { ChildProcess } from 'node:child_process';

/** Resolves true once the child has exited, false after `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    child.once('exit', () => (clearTimeout(timer), done(true)));
  });
}

/** Asks the child to stop (10 s), then kills it; its pipes are closed either way. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.connected) child.send({ type: 'stop' });
  if (!(await waitForExit(child, 10_000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/**
 * In the child: runs `stop` then exits on the parent's `stop` message, when the parent goes away, or on a
 * signal. Returns the exit function (code 1 if stopping failed), for a child that cannot start.
 */
export function exitWithParent(stop: () => Promise<void>): (code: number) => Promise<never> {
  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      try {
        await stop();
      } catch (err) {
        process.stderr.write(`${String(err)}\n`);
        code = code || 1;
      }
    }
    process.exit(code);
  };
  process.on('message', (m: { type?: string }) => void (m?.type === 'stop' && shutdown(0)));
  process.on('disconnect', () => void shutdown(0));
  process.stdin.on('end', () => void shutdown(0));
  process.stdin.resume();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));
  return shutdown;
}
