import type { Expectation, LogEntry, RunRecord } from '@rewind/shared';
import type { Clients } from './context';
import { formatDuration, type Output } from './output';
import { resourceStatus } from './resourceStatus';
import { nextStepOf, outgoingOf, reasonOf, runDurationMs, taskOf, TERMINAL_EVENTS } from './runView';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextOf = (e: LogEntry) =>
  (e.detail as { run?: { next?: string | null } } | undefined)?.run?.next ?? null;

export interface FollowOptions {
  /** How often the run is read (default 200 ms on an endpoint, 2 s on AWS). */
  intervalMs?: number;
  /** How often the awaited RDS resource is described (default 1 s on an endpoint, 10 s on AWS). */
  describeEveryMs?: number;
  /** Name request fields by their CLI flags in a rejection (the CLI made the request); default: guessed. */
  cliTerms?: boolean;
}

export interface FollowResult {
  run: RunRecord;
  timeline: LogEntry[];
}

/** Header lines of a run: what it does, its plan, how it was requested. */
export function runHeader(out: Output, run: RunRecord): string[] {
  const links = [
    run.requestId && `request ${run.requestId}`,
    run.replayOf && `replay of ${run.replayOf}`,
  ].filter(Boolean);
  const task = taskOf(run);
  // Where the restore reads from: a clone's source, a point in time.
  const from = [
    run.cloneOf && `from ${run.cloneOf}`,
    run.pointInTime && `as of ${run.pointInTime.time}`,
  ].filter(Boolean);
  const what = task
    ? `${task} of ${run.kind} ${run.identifier}${from.length ? ` ${from.join(' ')}` : ''}`
    : `an invalid request${run.identifier === '(invalid)' ? '' : ` for ${run.identifier}`} (it names no valid task)`;
  return [
    `${out.paint('bold', `Run ${run.runId}`)}: ${what}${links.length ? ` (${links.join(', ')})` : ''}`,
    ...(task ? [`  plan: ${run.run.plan.join(' → ')}`] : []),
  ];
}

/**
 * Follows a run until its terminal event: a line per finished step (with its duration), what the current
 * step waits on and the RDS status behind it (a spinner line on a TTY; a line per change otherwise).
 */
export async function followRun(
  clients: Clients,
  out: Output,
  runId: string,
  options: FollowOptions = {},
): Promise<FollowResult> {
  const local = clients.target.endpoint !== undefined;
  const intervalMs = options.intervalMs ?? (local ? 200 : 2000);
  const describeEveryMs = options.describeEveryMs ?? (local ? 1000 : 10_000);
  let shownOut = 0;
  let headerShown = false;
  let tick = 0;
  let lastDescribe = 0;
  let rdsStatus: string | undefined;
  let waitingOn: string | undefined;
  let terminalSince: number | undefined;

  for (;;) {
    const run = await clients.store.getRun(runId);
    if (!run) throw new Error(`run ${runId} disappeared from ${clients.target.names.tableName}`);
    if (!headerShown) {
      for (const l of runHeader(out, run)) out.line(l);
      headerShown = true;
    }
    const timeline = await clients.store.getTimeline(runId);
    const outgoing = outgoingOf(timeline);
    if (outgoing.length > shownOut) out.clearStatus();
    for (; shownOut < outgoing.length; shownOut++) {
      const event = outgoing[shownOut]!;
      const previous = outgoing[shownOut - 1];
      const step = previous && nextOf(previous);
      const detail = [event.type, event.summary].filter(Boolean).join(': ');
      if (step) {
        const failed = event.type === 'RestoreFailed';
        const took = formatDuration(Date.parse(event.at) - Date.parse(previous.at));
        out.line(
          `  ${failed ? out.paint('red', '✗') : out.paint('green', '✓')} ${step.padEnd(12)} ${took.padStart(7)}  ${detail}`,
        );
      } else if (event.type === 'RestoreRejected') {
        out.line(
          `  ${out.paint('red', '✗')} ${'rejected'.padEnd(12)} ${''.padStart(7)}  ${reasonOf(run, options.cliTerms) ?? detail}`,
        );
      } else {
        out.line(
          `  ${out.paint('gray', '·')} ${''.padEnd(12)} ${formatDuration(Date.parse(event.at) - Date.parse(run.createdAt)).padStart(7)}  ${detail}`,
        );
      }
    }

    const terminal = outgoing.find((e) => (TERMINAL_EVENTS as readonly string[]).includes(e.type));
    // A terminal status whose event is not in the timeline yet: give the outbox a moment, then stop anyway.
    if (!terminal && run.status !== 'running' && run.status !== 'rolling-back') terminalSince ??= Date.now();
    if (terminal || (terminalSince !== undefined && Date.now() - terminalSince > 5000)) {
      out.clearStatus();
      summarise(out, run, timeline, options.cliTerms);
      return { run, timeline };
    }

    const expectation = run.expectation ?? undefined;
    const current = outgoing.length ? nextOf(outgoing[outgoing.length - 1]!) : null;
    if (expectation && Date.now() - lastDescribe >= describeEveryMs) {
      lastDescribe = Date.now();
      const status = await resourceStatus(clients.rds, expectation).catch(
        (err: Error) => `unknown (${err.name})`,
      );
      const key = `${expectation.step}/${expectation.resourceName}`;
      if (!out.tty && (key !== waitingOn || status !== rdsStatus))
        out.line(`    ${expectation.step.padEnd(12)} ${waitLine(expectation, status)}`);
      waitingOn = key;
      rdsStatus = status;
    }
    if (current) {
      const since = outgoing.length
        ? Date.parse(outgoing[outgoing.length - 1]!.at)
        : Date.parse(run.createdAt);
      const waiting =
        expectation && expectation.step === current ? waitLine(expectation, rdsStatus) : 'starting';
      out.status(
        `  ${out.paint('cyan', SPINNER[tick++ % SPINNER.length]!)} ${current.padEnd(12)} ${formatDuration(Date.now() - since).padStart(7)}  ${waiting}`,
      );
    }
    await sleep(intervalMs);
  }
}

function waitLine(e: Expectation, status: string | undefined): string {
  return `${e.resourceKind} ${e.resourceName}: ${status ?? '…'} (waiting for ${e.target})`;
}

function summarise(out: Output, run: RunRecord, timeline: LogEntry[], cliTerms?: boolean): void {
  const took = formatDuration(runDurationMs(run, timeline));
  if (run.status === 'completed') {
    const snapshot = run.names.snapshot ?? run.names.restoreFrom;
    const source = run.pointInTime
      ? ` (${run.pointInTime.sourceIdentifier} as of ${run.pointInTime.time})`
      : snapshot
        ? ` (snapshot ${snapshot})`
        : '';
    out.line(
      `${out.paint('green', 'RunCompleted')}${run.warnings.length ? out.paint('yellow', ' with a warning') : ''} in ${took}: ${run.task} of ${run.identifier}${source}`,
    );
    for (const w of run.warnings) out.line(`  ${out.paint('yellow', `warning: ${w}`)}`);
    return;
  }
  const label =
    run.status === 'rejected'
      ? 'RestoreRejected'
      : run.status === 'rollback-failed'
        ? 'RollbackFailed'
        : 'RunFailed';
  out.line(`${out.paint('red', label)} after ${took}: ${reasonOf(run, cliTerms) ?? run.status}`);
  const failed = timeline.find((e) => e.type === 'RunFailed')?.detail as { rolledBack?: boolean } | undefined;
  if (failed?.rolledBack) {
    out.line(
      run.cloneOf
        ? `  rolled back: the half-made clone ${run.identifier} was deleted; ${run.cloneOf} was never touched`
        : `  rolled back: ${run.identifier} is back under its name`,
    );
  }
  const next = nextStepOf(run);
  if (next) out.line(`  ${next}`);
}
