import { parseEvent, type EventInput, type RunRecord } from '@rewind/shared';
import type { Command } from '../command';
import { replayArchive, parseTime } from '../archiveReplay';
import { withClients, type Clients } from '../context';
import { CliError, UsageError } from '../errors';
import { parseCommand, TARGET_USAGE } from '../options';
import { formatTime, Output } from '../output';
import { getRunOrExplain, requestKey } from '../requests';
import { requestRun } from '../runRequest';
import { nextStepOf, reasonOf } from '../runView';

const USAGE = `Usage: rewind replay <run-id> [--wait]
       rewind replay --from T [--to T] [--rule NAME]

  <run-id>: runs a failed or rejected request again, as a new run linked to the old one (replayOf),
  with request id replay-<run-id>-<n>, once the cause is fixed outside the request (the opt-in tag
  added, the other run finished, the database or snapshot available). A running or completed run, and
  an invalid request, are refused: send a corrected request with rewind restore instead.
  --wait      follow the new run live; exit 0 only when it completes

  --from/--to: replays the bus archive for that window onto the bus (EventBridge StartReplay), for the
  systems hooked onto the bus (Rewind's own services ignore replayed events). T is an ISO time, "now",
  or a time ago: 90s, 15m, 2h, 1d. --to defaults to now.
  --rule NAME only to this rule of the bus (its full name)

${TARGET_USAGE}`;

/** The request to send again: the old one as received, without what belonged to the old run. */
function replayRequest(
  run: RunRecord,
  requestId: string,
): EventInput<'RestoreRequested'> & { requestId: string } {
  const { source: _source, requestId: _old, replayOf: _replayOf, ...request } = run.request;
  return { ...(request as EventInput<'RestoreRequested'>), requestId, replayOf: run.runId };
}

async function nextReplayId(clients: Clients, run: RunRecord): Promise<string> {
  for (let n = 1; ; n++) {
    const id = `replay-${run.runId}-${n}`;
    // Request ids are scoped by the database the request names (a clone's source).
    const named = run.cloneOf ?? run.identifier;
    if (!(await clients.store.claimedRunId(requestKey(run.kind, named, id)))) return id;
  }
}

const REFUSED: Partial<Record<RunRecord['status'], (run: RunRecord) => [string, string] | undefined>> = {
  running: (r) => [`run ${r.runId} is still running`, `follow it with: rewind status ${r.runId}`],
  'rolling-back': (r) => [`run ${r.runId} is still rolling back`, `follow it with: rewind status ${r.runId}`],
  completed: (r) => [
    `run ${r.runId} completed; there is nothing to replay`,
    `to run the task again: rewind restore ${r.identifier} --task ${r.task}${r.kind === 'cluster' ? ' --cluster' : ''}`,
  ],
  'rollback-failed': (r) => [
    `run ${r.runId} failed to roll back: ${r.identifier} may not be under its name, and a person must look first`,
    `see what happened with: rewind status ${r.runId}`,
  ],
  rejected: (r) =>
    r.rejection?.code === 'invalid-input'
      ? [
          `run ${r.runId} was rejected as invalid input; the same request would be rejected again: ${reasonOf(r)}`,
          nextStepOf(r)!,
        ]
      : undefined,
};

/**
 * The request that runs `runId` again (`rewind replay <run-id>`, the console's replay): refused with the
 * reason and what to do instead when the run is under way, completed, failed to roll back, or invalid.
 */
export async function replayRequestOf(
  clients: Clients,
  runId: string,
  /** The request id a confirmation showed (`replay-<run-id>-<n>`): sent twice, it starts one run. */
  requestId?: string,
): Promise<EventInput<'RestoreRequested'> & { requestId: string }> {
  const old = await getRunOrExplain(clients, runId);
  const refused = REFUSED[old.status]?.(old);
  if (refused) throw new CliError(...refused);
  if (requestId !== undefined && !requestId.startsWith(`replay-${old.runId}-`))
    throw new CliError(
      `request id ${requestId} is not a replay of ${old.runId}`,
      'open the replay page again',
    );
  const request = replayRequest(old, requestId ?? (await nextReplayId(clients, old)));
  const valid = parseEvent('RestoreRequested', request);
  if (!valid.ok) {
    throw new CliError(
      `the request of ${old.runId} is invalid, replaying it would be rejected again: ${valid.issues.join('; ')}`,
      'send a corrected request with: rewind restore <identifier> --task TASK',
    );
  }
  return request;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Run a failed or rejected request again; or replay the bus archive (--from/--to)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        wait: { type: 'boolean' },
        from: { type: 'string' },
        to: { type: 'string' },
        rule: { type: 'string' },
      },
      USAGE,
      { min: 0, max: 1 },
    );
    const out = new Output(io, values.json === true);
    const archiveMode = values.from !== undefined || values.to !== undefined || values.rule !== undefined;
    if (archiveMode === (positionals.length === 1)) {
      throw new UsageError(
        archiveMode ? 'give either a run id or --from/--to, not both' : 'missing run id (or --from)',
        USAGE,
      );
    }

    if (archiveMode) {
      if (values.from === undefined) throw new UsageError('--from is required with --to / --rule', USAGE);
      const from = parseTime(values.from);
      const to = parseTime(values.to ?? 'now');
      if (!from || !to)
        throw new UsageError(
          `not a time: "${!from ? values.from : values.to}" (ISO time, now, 15m, 2h, 1d)`,
          USAGE,
        );
      if (from >= to) throw new UsageError('--from must be before --to', USAGE);
      return withClients(values, async (clients) => {
        const replay = await replayArchive(clients, { from, to, rule: values.rule });
        out.line(
          `Replay ${out.paint('bold', replay.name)}: ${replay.state}${replay.stateReason ? ` (${replay.stateReason})` : ''}`,
        );
        out.line(`  archive ${replay.archiveArn}`);
        out.line(
          `  window  ${formatTime(replay.from)} .. ${formatTime(replay.to)} UTC, onto ${replay.destination}${replay.rule ? ` (rule ${replay.rule} only)` : ''}`,
        );
        if (replay.lastReplayedAt)
          out.line(`  last event replayed: ${formatTime(replay.lastReplayedAt)} UTC`);
        if (replay.state === 'STARTING' || replay.state === 'RUNNING')
          out.line(`  still going; check with: aws events describe-replay --replay-name ${replay.name}`);
        out.document(replay);
        return replay.state === 'FAILED' ? 1 : 0;
      });
    }

    return withClients(values, async (clients) => {
      const request = await replayRequestOf(clients, positionals[0]!);
      const outcome = await requestRun(clients, out, request, { wait: values.wait === true, usage: USAGE });
      return outcome.exitCode;
    });
  },
};
