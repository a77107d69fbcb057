import type { Io } from './io';

/** One `rewind <name> ...` command. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code: 0 success, 1 failure (or a rejected/failed run), 2 usage error. */
  run(args: string[], io: Io): Promise<number>;
}
