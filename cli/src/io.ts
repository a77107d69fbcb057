/** Where a command writes: the process streams, or buffers in tests. */
interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** An Io that keeps what is written (tests, and the demo's quiet parts). */
export function bufferIo(
  env: Record<string, string | undefined> = {},
): Io & { out(): string; err(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    env,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** Resolves with the signal that asks a foreground command to stop (Ctrl-C, kill, a closed terminal). */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.once(signal, () => resolve(signal));
  });
}
