import { parseEvent, TASKS, type EventInput, type Task } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { parseCommand, TARGET_USAGE } from '../options';
import { Output } from '../output';
import { newRequestId } from '../requests';
import { requestRun } from '../runRequest';

const RESTORE_USAGE = `Usage: rewind restore <identifier> [--cluster] [--task TASK] [--snapshot ID] [--request-id ID] [--wait]

  Publishes RestoreRequested for a DB instance (or Aurora cluster with --cluster) and shows its run.

  --task TASK        db_restore (default: restore from --snapshot, else the newest Rewind snapshot, else
                     <identifier>-snapshot), create_snapshot (snapshot first, then restore from it),
                     create_snapshot_only
  --snapshot ID      snapshot to restore from (db_restore)
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
  'request-id': { type: 'string' },
  wait: { type: 'boolean' },
} as const;

async function request(args: string[], io: Parameters<Command['run']>[1], usage: string, fixedTask?: Task) {
  const options = fixedTask
    ? { cluster: OPTIONS.cluster, 'request-id': OPTIONS['request-id'], wait: OPTIONS.wait }
    : OPTIONS;
  const { values, positionals } = parseCommand(args, options, usage, { min: 1, max: 1 });
  const v = values as typeof values & { task?: string; snapshot?: string };
  const task = fixedTask ?? v.task ?? 'db_restore';
  if (!(TASKS as readonly string[]).includes(task))
    throw new UsageError(`--task must be one of ${TASKS.join(', ')}, not "${task}"`, usage);
  const request = restoreRequestOf(
    {
      identifier: positionals[0]!,
      task: task as Task,
      isCluster: values.cluster === true,
      snapshotIdentifier: v.snapshot,
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
    snapshotIdentifier?: string;
    requestId?: string;
  },
  invalid: (issues: string[]) => Error,
): EventInput<'RestoreRequested'> & { requestId: string } {
  const request = {
    identifier: fields.identifier,
    task: fields.task,
    isCluster: fields.isCluster,
    ...(fields.snapshotIdentifier !== undefined ? { snapshotIdentifier: fields.snapshotIdentifier } : {}),
    requestId: fields.requestId ?? newRequestId(),
  };
  const parsed = parseEvent('RestoreRequested', request);
  const issues = parsed.ok ? [] : [...parsed.issues];
  if (fields.snapshotIdentifier !== undefined && fields.task !== 'db_restore')
    issues.push(
      `snapshotIdentifier: a snapshot to restore from goes with the task db_restore, not ${fields.task}`,
    );
  if (issues.length) throw invalid(issues);
  return request;
}

/** The request fields the command sets, and the argument or flag that sets each. */
const FLAG_OF: Record<string, string> = {
  identifier: '<identifier>',
  snapshotIdentifier: '--snapshot',
  requestId: '--request-id',
  task: '--task',
};

/** A contract issue (`field: what is wrong`) named by the argument or flag to fix. */
const inFlags = (issue: string) =>
  issue.replace(/^(\w+):/, (whole, field: string) => (FLAG_OF[field] ? `${FLAG_OF[field]}:` : whole));

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a database in place from a snapshot (--wait to follow it)',
  usage: RESTORE_USAGE,
  run: (args, io) => request(args, io, RESTORE_USAGE),
};

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'Take a Rewind snapshot of a database (create_snapshot_only)',
  usage: SNAPSHOT_USAGE,
  run: (args, io) => request(args, io, SNAPSHOT_USAGE, 'create_snapshot_only'),
};
