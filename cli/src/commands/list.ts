import { RUN_STATUSES, type RunRecord, type RunStatus } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { intOption, parseCommand, TARGET_USAGE } from '../options';
import { formatDuration, formatTime, Output } from '../output';
import { reasonOf } from '../runView';
import { paintStatus } from './status';

const USAGE = `Usage: rewind list [--status STATUS] [--limit N]

  Recent runs, newest first (all statuses merged unless --status).

  --status STATUS   ${RUN_STATUSES.join(' | ')}
  --limit N         at most N runs (default 20)

${TARGET_USAGE}`;

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
          { header: 'STATUS', value: (r) => paintStatus(out, r.status) },
          { header: 'TASK', value: (r) => r.task },
          { header: 'KIND', value: (r) => r.kind },
          { header: 'IDENTIFIER', value: (r) => r.identifier },
          { header: 'CREATED (UTC)', value: (r) => formatTime(r.createdAt) },
          { header: 'DURATION', value: duration, align: 'right' },
          {
            header: 'NOTE',
            value: (r) =>
              [r.replayOf && `replay of ${r.replayOf}`, reasonOf(r)?.slice(0, 80)].filter(Boolean).join('; '),
          },
        ]);
      }
      out.document({
        table: clients.target.names.tableName,
        runs: runs.map((r) => ({
          runId: r.runId,
          status: r.status,
          task: r.task,
          kind: r.kind,
          identifier: r.identifier,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
          requestId: r.requestId,
          replayOf: r.replayOf,
          reason: reasonOf(r),
        })),
      });
      return 0;
    });
  },
};
