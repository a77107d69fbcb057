import type { EventInput, LogEntry, RunRecord } from '@rewind/shared';
import type { Clients } from './context';
import { followRun, runHeader } from './liveView';
import type { Output } from './output';
import { awaitRun, publishRequest } from './requests';
import { nextStepOf, reasonOf, runDocument } from './runView';

export interface RequestOutcome {
  run: RunRecord;
  timeline?: LogEntry[];
  exitCode: number;
}

/**
 * Publishes a request, finds its run, and either follows it to the end (`wait`) or reports how it
 * started. Exit code 0 only for a completed run (with wait) or an accepted one (without); 1 otherwise.
 */
export async function requestRun(
  clients: Clients,
  out: Output,
  request: EventInput<'RestoreRequested'> & { requestId: string },
  options: {
    wait: boolean;
    usage: string;
    /** Print the JSON document (default true). */ document?: boolean;
  },
): Promise<RequestOutcome> {
  const document = (value: unknown) => options.document !== false && out.document(value);
  const eventId = await publishRequest(clients, request, options.usage);
  out.line(
    `Requested ${request.task} of ${request.identifier} (request ${request.requestId}) on ${clients.target.description}`,
  );
  const run = await awaitRun(clients, eventId);
  if (options.wait) {
    const followed = await followRun(clients, out, run.runId, { cliTerms: true });
    const outcome = { ...followed, exitCode: followed.run.status === 'completed' ? 0 : 1 };
    document({ ...runDocument(followed.run, followed.timeline, true), exitCode: outcome.exitCode });
    return outcome;
  }
  for (const l of runHeader(out, run)) out.line(l);
  if (run.status === 'rejected') {
    out.line(`${out.paint('red', 'RestoreRejected')}: ${reasonOf(run, true)}`);
    out.line(`  ${nextStepOf(run)}`);
  } else {
    out.line(`  ${run.status}; follow it with: rewind status ${run.runId}`);
  }
  const exitCode = run.status === 'rejected' ? 1 : 0;
  out.document({
    runId: run.runId,
    requestId: run.requestId,
    status: run.status,
    reason: reasonOf(run, true),
    nextStep: nextStepOf(run),
    exitCode,
  });
  return { run, exitCode };
}
