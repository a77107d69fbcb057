import { parseEvent, STRATEGIES, TASKS, type Strategy, type Task } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { parseCommand, TARGET_USAGE } from '../options';
import { Output } from '../output';
import { newRequestId } from '../requests';
import { requestRun } from '../runRequest';

const RESTORE_USAGE = `Usage: rewind restore <identifier> [--cluster] [--task TASK] [--snapshot ID | --time T|latest] [--strategy in-place|swap] [--request-id ID] [--wait]

  Publishes RestoreRequested for a DB instance (or Aurora cluster with --cluster) and shows its run.

  --task TASK        db_restore (default: restore from --snapshot, else the newest Rewind snapshot, else
                     <identifier>-snapshot), create_snapshot (snapshot first, then restore from it),
                     create_snapshot_only
  --snapshot ID      snapshot to restore from (db_restore)
  --time T|latest    restore to a point in time instead (db_restore): an ISO 8601 time with its zone
                     (2026-01-31T14:05:00Z), or latest (the latest restorable time)
  --strategy S       in-place (default: the original is renamed aside, then restored under its name: down
                     for the whole restore), or swap (restored beside the original while it serves, then
                     two renames exchange the names: down only for the renames)
  --request-id ID    idempotency key (default cli-<time>-<random>); repeating it shows the same run
  --wait             follow the run live until it ends; exit 0 only when it completes

${TARGET_USAGE}`;

const CLONE_USAGE = `Usage: rewind clone <identifier> <target> [--cluster] [--snapshot ID | --time T|latest] [--request-id ID] [--wait]

  Restores a database under a new name <target> with its whole configuration (task clone); the source is
  never renamed, modified or deleted. An Aurora cluster (--cluster) is cloned with its members, named
  after the source's (<identifier>-1 becomes <target>-1).

  --snapshot ID      snapshot to clone from (default: the newest available manual snapshot of <identifier>)
  --time T|latest    clone the database as it was at a point in time instead: an ISO 8601 time with its
                     zone, or latest (the latest restorable time, about five minutes ago)
  --request-id ID    idempotency key (default cli-<time>-<random>); repeating it shows the same run
  --wait             follow the run live until it ends; exit 0 only when it completes

${TARGET_USAGE}`;

const SNAPSHOT_USAGE = `Usage: rewind snapshot <identifier> [--cluster] [--request-id ID] [--wait]

  Takes a Rewind snapshot of a database (task create_snapshot_only); --wait follows it.

${TARGET_USAGE}`;

const OPTIONS = {
  cluster: { type: 'boolean' },
  task: { type: 'string' },
  snapshot: { type: 'string' },
  strategy: { type: 'string' },
  time: { type: 'string' },
  'request-id': { type: 'string' },
  wait: { type: 'boolean' },
} as const;

const COMMON = { cluster: OPTIONS.cluster, 'request-id': OPTIONS['request-id'], wait: OPTIONS.wait };
/** Options of each command: `snapshot` takes no source, `clone` no task or strategy. */
const OPTIONS_OF = {
  restore: OPTIONS,
  snapshot: COMMON,
  clone: { ...COMMON, snapshot: OPTIONS.snapshot, time: OPTIONS.time },
} as const;

async function request(
  args: string[],
  io: Parameters<Command['run']>[1],
  usage: string,
  command: keyof typeof OPTIONS_OF,
) {
  const clone = command === 'clone';
  const { values, positionals } = parseCommand(args, OPTIONS_OF[command], usage, {
    min: clone ? 2 : 1,
    max: clone ? 2 : 1,
  });
  const v = values as typeof values & { task?: string; snapshot?: string; time?: string; strategy?: string };
  const task = command === 'snapshot' ? 'create_snapshot_only' : clone ? 'clone' : (v.task ?? 'db_restore');
  if (!(TASKS as readonly string[]).includes(task) || (!clone && task === 'clone'))
    throw new UsageError(
      `--task must be one of ${TASKS.filter((t) => t !== 'clone').join(', ')}, not "${task}"${task === 'clone' ? ' (use rewind clone)' : ''}`,
      usage,
    );
  if (v.snapshot && task !== 'db_restore' && !clone)
    throw new UsageError('--snapshot goes with --task db_restore', usage);
  if (v.time && task !== 'db_restore' && !clone)
    throw new UsageError('--time goes with --task db_restore (a point in time needs no snapshot)', usage);
  if (v.time && v.snapshot) throw new UsageError('give --snapshot or --time, not both', usage);
  if (v.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(v.strategy))
    throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}, not "${v.strategy}"`, usage);
  const request = {
    identifier: positionals[0]!,
    task: task as Task,
    isCluster: values.cluster === true,
    ...(clone ? { targetIdentifier: positionals[1]! } : {}),
    ...(v.snapshot !== undefined ? { snapshotIdentifier: v.snapshot } : {}),
    ...(v.strategy !== undefined ? { strategy: v.strategy as Strategy } : {}),
    ...(v.time !== undefined ? { restoreTime: v.time } : {}),
    requestId: values['request-id'] ?? newRequestId(),
  };
  // Checked before anything is reached, and said in the command's own terms.
  const parsed = parseEvent('RestoreRequested', request);
  if (!parsed.ok) throw new UsageError(parsed.issues.map(inFlags).join('; '), usage);
  const out = new Output(io, values.json === true);
  return withClients(values, async (clients) => {
    const outcome = await requestRun(clients, out, request, { wait: values.wait === true, usage });
    return outcome.exitCode;
  });
}

/** The request fields the command sets, and the argument or flag that sets each. */
const FLAG_OF: Record<string, string> = {
  identifier: '<identifier>',
  targetIdentifier: '<target>',
  snapshotIdentifier: '--snapshot',
  restoreTime: '--time',
  requestId: '--request-id',
  task: '--task',
  strategy: '--strategy',
};

/** A contract issue (`field: what is wrong`) named by the argument or flag to fix. */
const inFlags = (issue: string) =>
  issue.replace(/^(\w+):/, (whole, field: string) => (FLAG_OF[field] ? `${FLAG_OF[field]}:` : whole));

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a database from a snapshot or a point in time, in place or by swap (--wait to follow it)',
  usage: RESTORE_USAGE,
  run: (args, io) => request(args, io, RESTORE_USAGE, 'restore'),
};

export const cloneCommand: Command = {
  name: 'clone',
  summary: 'Restore a database under a new name with its configuration; the source untouched',
  usage: CLONE_USAGE,
  run: (args, io) => request(args, io, CLONE_USAGE, 'clone'),
};

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'Take a Rewind snapshot of a database (create_snapshot_only)',
  usage: SNAPSHOT_USAGE,
  run: (args, io) => request(args, io, SNAPSHOT_USAGE, 'snapshot'),
};
