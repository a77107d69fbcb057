/** `rewind <command> ...`: a small dispatcher; each command lives in `commands/`. */
import type { Command } from './command';
import { cancelCommand } from './commands/cancel';
import { demoCommand } from './commands/demo';
import { dlqCommand, redriveCommand } from './commands/dlq';
import { drCommand, failbackCommand, failoverCommand } from './commands/dr';
import { eventsCommand } from './commands/events';
import { listCommand } from './commands/list';
import { localCommand } from './commands/local';
import { replayCommand } from './commands/replay';
import { replicateCommand, replicationCommand } from './commands/replication';
import { cloneCommand, restoreCommand, snapshotCommand } from './commands/restore';
import { statusCommand } from './commands/status';
import { schedulesCommand, snapshotsCommand } from './commands/snapshots';
import { uiCommand } from './commands/ui';
import { CliError, UsageError } from './errors';
import { processIo, type Io } from './io';

const COMMANDS: readonly Command[] = [
  restoreCommand,
  cloneCommand,
  snapshotCommand,
  statusCommand,
  listCommand,
  snapshotsCommand,
  schedulesCommand,
  replayCommand,
  cancelCommand,
  redriveCommand,
  dlqCommand,
  eventsCommand,
  uiCommand,
  drCommand,
  failoverCommand,
  failbackCommand,
  replicateCommand,
  replicationCommand,
  localCommand,
  demoCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: rewind <command> [options]      (rewind <command> --help for its options)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 success, 1 failure (or a failed / rejected run), 2 usage error.',
  ].join('\n');
}

/** Runs one command line; resolves to the exit code. Tests call it in process with a buffer Io. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...args] = argv;
  const json = args.includes('--json');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`Unknown command "${name}"`, usage());
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(args, io);
  } catch (err) {
    const usageError =
      err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof CliError ? err.hint : undefined;
    const exitCode = usageError ? 2 : err instanceof CliError ? err.exitCode : 1;
    if (json)
      io.stdout.write(
        `${JSON.stringify({ error: message, ...(hint ? { hint } : {}), exitCode }, null, 2)}\n`,
      );
    if (usageError) {
      io.stderr.write(
        `rewind: ${message}\n\n${err instanceof UsageError ? err.usage : (command?.usage ?? usage())}\n`,
      );
    } else {
      io.stderr.write(`rewind: ${message}\n${hint ? `  ${hint}\n` : ''}`);
      if (!(err instanceof CliError) && io.env.REWIND_DEBUG) io.stderr.write(`${(err as Error).stack}\n`);
    }
    return exitCode;
  }
}

if (require.main === module) {
  // The SDK's notice about its future Node.js requirement is not something a CLI user can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
