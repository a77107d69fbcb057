import { parseEvent, STRATEGIES, TASKS, type EventInput, type Strategy, type Task } from '@rewind/shared';
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
  --time T|latest    restore to a point in time instead (db_restore), in place or with --strategy swap:
                     an ISO 8601 time with its zone (2026-01-31T14:05:00Z), or latest (the latest
                     restorable time, about five minutes ago); a time outside the database's restorable
                     window is rejected with the window
  --strategy S       in-place (default: the original is renamed aside, then restored under its name: down
                     for the whole restore), or swap (restored beside the original while it serves, then
                     two renames exchange the names: down only for the renames), from a snapshot or --time
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
  const request = restoreRequestOf(
    {
      identifier: positionals[0]!,
      task: task as Task,
      isCluster: values.cluster === true,
      targetIdentifier: clone ? positionals[1]! : undefined,
      snapshotIdentifier: v.snapshot,
      strategy: v.strategy as Strategy | undefined,
      restoreTime: v.time,
      requestId: values['request-id'],
    },
    (issues) => new UsageError(issues.map(inFlags).join('; '), usage),
  );
  const out = new Output(io, values.json === true);
  return withClients(values, async (clients) => {
    const outcome = await requestRun(clients, out, request, { wait: values.wait === true, usage });
    return outcome.exitCode;
  });
}

/**
 * A RestoreRequested as `rewind restore` / `rewind snapshot` and the console send it (request id
 * `cli-<time>-<random>` unless given), checked against the contract before anything is reached: the
 * issues go to `invalid`, which says them in the caller's terms.
 */
export function restoreRequestOf(
  fields: {
    identifier: string;
    task: Task;
    isCluster: boolean;
    targetIdentifier?: string;
    snapshotIdentifier?: string;
    strategy?: Strategy;
    restoreTime?: string;
    requestId?: string;
  },
  invalid: (issues: string[]) => Error,
): EventInput<'RestoreRequested'> & { requestId: string } {
  const request = {
    identifier: fields.identifier,
    task: fields.task,
    isCluster: fields.isCluster,
    ...(fields.targetIdentifier !== undefined ? { targetIdentifier: fields.targetIdentifier } : {}),
    ...(fields.snapshotIdentifier !== undefined ? { snapshotIdentifier: fields.snapshotIdentifier } : {}),
    ...(fields.strategy !== undefined ? { strategy: fields.strategy } : {}),
    ...(fields.restoreTime !== undefined ? { restoreTime: fields.restoreTime } : {}),
    requestId: fields.requestId ?? newRequestId(),
  };
  const parsed = parseEvent('RestoreRequested', request);
  const issues = parsed.ok ? [] : [...parsed.issues];
  if (fields.snapshotIdentifier !== undefined && fields.task !== 'db_restore' && fields.task !== 'clone')
    issues.push(
      `snapshotIdentifier: a snapshot to restore from goes with the task db_restore (or clone), not ${fields.task}`,
    );
  if (issues.length) throw invalid(issues);
  return request;
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
