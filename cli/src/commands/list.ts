import { RUN_STATUSES, type RunRecord, type RunStatus } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { intOption, parseCommand, TARGET_USAGE } from '../options';
import { clip, formatDuration, formatTime, Output } from '../output';
import { isInvalidRequest, reasonOf, taskOf } from '../runView';
import { paintStatus } from './status';

const USAGE = `Usage: rewind list [--status STATUS] [--limit N]

  Recent runs, newest first (all statuses merged unless --status). A completed run that left a warning
  shows it in STATUS and NOTE; an invalid request has no task ("-").

  --status STATUS   ${RUN_STATUSES.join(' | ')}
  --limit N         at most N runs (default 20)

${TARGET_USAGE}`;

const NOTE_CHARS = 80;

/** What the NOTE column says: the replay link, why the run did not complete, or its warning. */
function noteOf(r: RunRecord): string {
  return [r.replayOf && `replay of ${r.replayOf}`, reasonOf(r), ...r.warnings.map((w) => `warning: ${w}`)]
    .filter(Boolean)
    .join('; ');
}

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
    const { values } = parseCommand(args, { status: { type: 'string' }, limit: { type: 'string' } }, USAGE, {
      min: 0,
      max: 0,
    });
    const limit = intOption(values.limit, 'limit', 20, USAGE);
    if (values.status && !(RUN_STATUSES as readonly string[]).includes(values.status)) {
      throw new UsageError(
        `--status must be one of ${RUN_STATUSES.join(', ')}, not "${values.status}"`,
        USAGE,
      );
    }
    const statuses = values.status ? [values.status as RunStatus] : RUN_STATUSES;
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      // Each status query is newest first; the merge keeps the newest `limit` of all.
      const pages = await Promise.all(statuses.map((s) => clients.store.listRuns(s, { limit })));
      const runs = pages
        .flatMap((p) => p.runs)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId))
        .slice(0, limit);
      const duration = (r: RunRecord) =>
        r.status === 'running' || r.status === 'rolling-back'
          ? `${formatDuration(Date.now() - Date.parse(r.createdAt))}…`
          : formatDuration(Date.parse(r.updatedAt) - Date.parse(r.createdAt));
      if (!runs.length) {
        out.line(`No ${values.status ? `${values.status} ` : ''}runs in ${clients.target.names.tableName}.`);
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
        runs: runs.map((r) => ({
          runId: r.runId,
          status: r.status,
          task: taskOf(r) ?? null,
          kind: r.kind,
          identifier: r.identifier,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
          requestId: r.requestId,
          replayOf: r.replayOf,
          ...(isInvalidRequest(r) ? { invalidRequest: true } : {}),
          reason: reasonOf(r),
          warnings: r.warnings,
        })),
      });
      return 0;
    });
  },
};
