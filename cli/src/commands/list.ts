import { RUN_STATUSES, type RunRecord, type RunStatus } from '@rewind/shared';
import { parseTime } from '../archiveReplay';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { intOption, parseCommand, TARGET_USAGE } from '../options';
import { clip, formatDuration, formatTime, Output } from '../output';
import { isActive, listedRun, noteOf, recentRuns } from '../runList';
import { isInvalidRequest, taskOf } from '../runView';
import { paintStatus } from './status';

const USAGE = `Usage: rewind list [--status STATUS] [--database ID] [--since T] [--limit N]

  Recent runs, newest first (all statuses merged unless --status). A completed run that left a warning
  shows it in STATUS and NOTE; an invalid request has no task ("-").

  --status STATUS   ${RUN_STATUSES.join(' | ')}
  --database ID     only runs of this database (instance or cluster identifier)
  --since T         only runs created since T: an ISO time, or a time ago (90s, 15m, 2h, 1d)
  --limit N         at most N runs (default 20)

${TARGET_USAGE}`;

const NOTE_CHARS = 80;

/** The status, and whether a completed run left a warning (the set-aside original not deleted, ...). */
function statusLabel(out: Output, r: RunRecord): string {
  if (r.status === 'completed' && r.warnings.length)
    return out.paint('yellow', `completed, ${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''}`);
  return paintStatus(out, r.status);
}

export const listCommand: Command = {
  name: 'list',
  summary: 'Recent runs, newest first',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommand(
      args,
      {
        status: { type: 'string' },
        database: { type: 'string' },
        since: { type: 'string' },
        limit: { type: 'string' },
      },
      USAGE,
      { min: 0, max: 0 },
    );
    const limit = intOption(values.limit, 'limit', 20, USAGE);
    if (values.status && !(RUN_STATUSES as readonly string[]).includes(values.status)) {
      throw new UsageError(
        `--status must be one of ${RUN_STATUSES.join(', ')}, not "${values.status}"`,
        USAGE,
      );
    }
    const since = values.since === undefined ? undefined : parseTime(values.since);
    if (values.since !== undefined && !since)
      throw new UsageError(`--since: not a time: "${values.since}" (ISO time, 15m, 2h, 1d)`, USAGE);
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const runs = await recentRuns(clients, {
        status: values.status as RunStatus | undefined,
        identifier: values.database,
        since: since?.toISOString(),
        limit,
      });
      const duration = (r: RunRecord) =>
        isActive(r)
          ? `${formatDuration(Date.now() - Date.parse(r.createdAt))}…`
          : formatDuration(Date.parse(r.updatedAt) - Date.parse(r.createdAt));
      if (!runs.length) {
        out.line(
          `No ${values.status ? `${values.status} ` : ''}runs${values.database ? ` of ${values.database}` : ''}${since ? ` since ${formatTime(since.toISOString())} UTC` : ''} in ${clients.target.names.tableName}.`,
        );
      } else {
        out.table(runs, [
          { header: 'RUN', value: (r) => r.runId },
          { header: 'STATUS', value: (r) => statusLabel(out, r) },
          { header: 'TASK', value: (r) => taskOf(r) ?? '-' },
          { header: 'KIND', value: (r) => (isInvalidRequest(r) ? '-' : r.kind) },
          { header: 'IDENTIFIER', value: (r) => r.identifier },
          { header: 'CREATED (UTC)', value: (r) => formatTime(r.createdAt) },
          { header: 'DURATION', value: duration, align: 'right' },
          { header: 'NOTE', value: (r) => clip(noteOf(r), NOTE_CHARS) },
        ]);
        if (runs.some((r) => noteOf(r).length > NOTE_CHARS))
          out.line(out.paint('gray', 'Notes cut short end in "…": rewind status <run> prints them whole.'));
      }
      out.document({
        table: clients.target.names.tableName,
        runs: runs.map(listedRun),
      });
      return 0;
    });
  },
};
