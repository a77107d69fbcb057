import { cancelRefusal, parseEvent, type EventInput, type RunRecord } from '@rewind/shared';
import { userInfo } from 'node:os';
import type { Command } from '../command';
import { withClients, type Clients } from '../context';
import { CliError } from '../errors';
import { followRun } from '../liveView';
import { parseCommand, TARGET_USAGE } from '../options';
import { Output } from '../output';
import { getRunOrExplain, putClientEvent } from '../requests';
import { reasonOf, runDocument } from '../runView';

const USAGE = `Usage: rewind cancel <run-id> [--reason TEXT] [--no-wait]

  Stops a run safely, e.g. one stuck on a step. Before the original database is renamed aside, the run
  ends at once (RunFailed) and its lock is released; a snapshot being created is kept. From the set-aside
  on, Rewind rolls back as after a failure: it deletes the half-restored copy and renames the original
  back under its name (RollbackCompleted, then RunFailed). A run that is already rolling back, or has only
  its cleanup left (the restore is verified), cannot be cancelled.

  --reason TEXT  why (kept in the run, its RunFailed event and the alert)
  --no-wait      return once the cancel is taken, without following the rollback

${TARGET_USAGE}`;

const TAKEN_WITHIN_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function who(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

const isCancelled = (run: RunRecord) => run.failure?.errorCode === 'Cancelled';

/** Waits until the restore service has taken the cancel (the run records it) or refused it (the run moved on). */
async function awaitTaken(clients: Clients, runId: string): Promise<RunRecord> {
  const deadline = Date.now() + TAKEN_WITHIN_MS;
  for (;;) {
    const run = await getRunOrExplain(clients, runId);
    if (isCancelled(run) || cancelRefusal(run)) return run;
    if (Date.now() > deadline) {
      throw new CliError(
        `the cancel of ${runId} was published, but the run did not take it within ${TAKEN_WITHIN_MS / 1000}s`,
        'is the restore service running and its inbox consumed? check: rewind dlq restore',
      );
    }
    await sleep(clients.target.local ? 100 : 1000);
  }
}

/**
 * Publishes a CancelRequested for the run (`rewind cancel`, the console's cancel) and waits until the
 * restore service took it; refused with the reason when the run cannot be cancelled.
 */
export async function requestCancel(
  clients: Clients,
  runId: string,
  reason: string | undefined,
  requestedBy: string,
): Promise<RunRecord> {
  const before = await getRunOrExplain(clients, runId);
  const refused = cancelRefusal(before);
  if (refused) throw new CliError(`cannot cancel: ${refused}`);
  const request: EventInput<'CancelRequested'> = { runId, reason, requestedBy };
  const parsed = parseEvent('CancelRequested', request);
  if (!parsed.ok) throw new CliError(`invalid cancel: ${parsed.message}`);
  await putClientEvent(clients, 'CancelRequested', parsed.value, 'cancel');
  const taken = await awaitTaken(clients, runId);
  if (!isCancelled(taken)) {
    throw new CliError(`cannot cancel: ${cancelRefusal(taken)}`, `see what happened: rewind status ${runId}`);
  }
  return taken;
}

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Stop a run safely: end it, or roll it back once the original was set aside',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { reason: { type: 'string' }, 'no-wait': { type: 'boolean' } },
      USAGE,
      { min: 1, max: 1 },
    );
    const runId = positionals[0]!;
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const taken = await requestCancel(clients, runId, values.reason, who());
      const rollingBack = taken.status === 'rolling-back';
      out.line(
        rollingBack
          ? `Cancel taken at ${taken.failure!.step}: rolling back (discard the copy, rename ${taken.identifier} back)`
          : `Cancel taken at ${taken.failure!.step}: the run ended; ${taken.identifier} was not touched`,
      );
      if (values['no-wait']) {
        out.document({ runId, status: taken.status, reason: reasonOf(taken), exitCode: 0 });
        return 0;
      }
      const followed = await followRun(clients, out, runId);
      const ok = followed.run.status === 'failed';
      out.document({ ...runDocument(followed.run, followed.timeline), exitCode: ok ? 0 : 1 });
      return ok ? 0 : 1;
    });
  },
};
