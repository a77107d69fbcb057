/** `rewind <command> ...`: a small dispatcher; each command lives in `commands/`. */
import type { Command } from './command';
import { localCommand } from './commands/local';
import { UsageError } from './errors';

const COMMANDS: readonly Command[] = [localCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: rewind <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`Unknown command "${name}"`, usage());
    if (args.includes('--help') || args.includes('-h')) {
      console.log(command.usage);
      return 0;
    }
    return await command.run(args);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(
        `rewind: ${(err as Error).message}\n\n${err instanceof UsageError ? err.usage : (command?.usage ?? usage())}`,
      );
      return 2;
    }
    console.error(`rewind: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
