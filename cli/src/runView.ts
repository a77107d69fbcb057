import { parseEvent, type LogEntry, type RunRecord } from '@rewind/shared';
import { formatDuration } from './output';
import { CLI_SOURCE } from './requests';

/** Events that end a run. */
export const TERMINAL_EVENTS = ['RunCompleted', 'RunFailed', 'RestoreRejected'] as const;

export interface StepView {
  step: string;
  state: 'done' | 'failed' | 'waiting' | 'pending';
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** The event that ended the step, with its summary. */
  outcome?: string;
}

export interface TimelineRow {
  at: string;
  /** Since the first entry. */
  offsetMs: number;
  /** Since the previous row. */
  deltaMs: number;
  direction: LogEntry['direction'];
  type: string;
  source?: string;
  summary?: string;
  /** One of Rewind's own events: how long after it was published the service it was for received it. */
  receivedAfterMs?: number;
  /** The outbox published it more than once (at-least-once): how many times. */
  published?: number;
}

/** The source of the events Rewind's services publish (their own events come back in with it). */
const OWN_SOURCE = 'rewind';

const ms = (iso: string) => Date.parse(iso);
const eventKey = (e: LogEntry) => `${e.type} ${JSON.stringify(e.detail)}`;
const nextOf = (entry: LogEntry) =>
  (entry.detail as { run?: { next?: string | null } } | undefined)?.run?.next;

/**
 * The run's outgoing events, each once: the outbox publishes at least once, so an entry with the same
 * type and detail as an earlier one is a redelivered copy, not another step. Stable as the timeline
 * grows (whether an entry is kept depends only on the entries before it).
 */
export function outgoingOf(timeline: readonly LogEntry[]): LogEntry[] {
  const seen = new Set<string>();
  return timeline.filter((e) => {
    if (e.direction !== 'out') return false;
    const key = eventKey(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Steps from the run's outgoing events (`outgoingOf`): an event whose routing slip says `next: S` starts step S, and
 * the next outgoing event ends it (failed if that event is `RestoreFailed`). Steps not reached are pending.
 */
export function stepsOf(run: RunRecord, timeline: readonly LogEntry[]): StepView[] {
  const out = outgoingOf(timeline);
  const steps: StepView[] = [];
  for (let i = 0; i < out.length; i++) {
    const step = nextOf(out[i]!);
    if (!step) continue;
    const end = out[i + 1];
    const view: StepView = { step, state: 'waiting', startedAt: out[i]!.at };
    if (end) {
      view.state = end.type === 'RestoreFailed' ? 'failed' : 'done';
      view.endedAt = end.at;
      view.durationMs = ms(end.at) - ms(out[i]!.at);
      view.outcome = [end.type, end.summary].filter(Boolean).join(': ');
    } else if (run.status !== 'running' && run.status !== 'rolling-back') {
      view.state = 'failed';
    }
    steps.push(view);
  }
  const reached = new Set(steps.map((s) => s.step));
  for (const step of run.run.plan) if (!reached.has(step)) steps.push({ step, state: 'pending' });
  return steps;
}

/**
 * The timeline with each event once: one of Rewind's own events is logged when it is published (out) and
 * again when the service it is for receives it (in, source rewind); the two are one row, with the time the
 * delivery took. A copy the outbox published again is counted on the first one, not shown again.
 */
export function timelineRows(timeline: readonly LogEntry[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const published = new Map<string, TimelineRow>();
  const awaitingReceipt: { type: string; row: TimelineRow }[] = [];
  const first = timeline[0] ? ms(timeline[0].at) : 0;
  for (const e of timeline) {
    if (e.direction === 'out') {
      const copy = published.get(eventKey(e));
      if (copy) {
        copy.published = (copy.published ?? 1) + 1;
        continue;
      }
    }
    if (e.direction === 'in' && e.source === OWN_SOURCE) {
      const i = awaitingReceipt.findIndex((w) => w.type === e.type);
      if (i >= 0) {
        const { row } = awaitingReceipt.splice(i, 1)[0]!;
        row.receivedAfterMs = ms(e.at) - ms(row.at);
        continue;
      }
    }
    const row: TimelineRow = {
      at: e.at,
      offsetMs: ms(e.at) - first,
      deltaMs: rows.length ? ms(e.at) - ms(rows[rows.length - 1]!.at) : 0,
      direction: e.direction,
      type: e.type,
      source: e.source,
      summary: e.summary,
    };
    if (e.direction === 'out') {
      published.set(eventKey(e), row);
      awaitingReceipt.push({ type: e.type, row });
    }
    rows.push(row);
  }
  return rows;
}

/** Whole-run duration: to the terminal event if there is one, else to now. */
export function runDurationMs(run: RunRecord, timeline: readonly LogEntry[], now = Date.now()): number {
  const terminal = timeline.find(
    (e) => e.direction === 'out' && (TERMINAL_EVENTS as readonly string[]).includes(e.type),
  );
  return (
    (terminal ? ms(terminal.at) : run.status === 'running' ? now : ms(run.updatedAt)) - ms(run.createdAt)
  );
}

/**
 * A request that did not pass the RestoreRequested contract: it asked for no task of its own (intake
 * stores `{ invalid: true, preview }`; older records keep the raw request, which fails the contract).
 */
export function isInvalidRequest(run: RunRecord): boolean {
  if (run.request.invalid === true) return true;
  if (run.status !== 'rejected' || run.rejection?.code !== 'invalid-input') return false;
  const { source: _source, ...request } = run.request;
  return !parseEvent('RestoreRequested', request).ok;
}

/** Made with the CLI (restore, snapshot, replay): its hints are best given in flags. */
function madeByCli(run: RunRecord): boolean {
  return run.request.source === CLI_SOURCE || /^(cli|replay)-/.test(run.requestId ?? '');
}

/** Phrases of intake's reasons that name request fields, and how the CLI says the same. */
const CLI_TERMS: readonly [RegExp, string][] = [
  [/\(\{"identifier": "([^"]+)", "isCluster": true\}\)/g, '(rewind restore $1 --cluster)'],
  [/send "isCluster": true/g, 'add --cluster'],
  [/send "isCluster": false/g, 'leave out --cluster'],
  [/pass "snapshotIdentifier"/g, 'pass --snapshot ID'],
  [/"snapshotIdentifier"/g, '--snapshot'],
  [/"requestId"/g, '--request-id'],
  [/"targetIdentifier"/g, '<target>'],
  [/"restoreTime"/g, '--time'],
  [/run the create_snapshot task/g, 'use --task create_snapshot'],
];

/** A reason as the CLI's user acts on it: request fields named by their flags. */
export function inCliTerms(reason: string): string {
  return CLI_TERMS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), reason);
}

/**
 * The reason a run did not complete, if it did not; with `cli`, request fields in a rejection are named by
 * their flags (default: when the CLI made the request).
 */
export function reasonOf(run: RunRecord, cli?: boolean): string | undefined {
  if (run.rejection) {
    const reason = (cli ?? madeByCli(run)) ? inCliTerms(run.rejection.reason) : run.rejection.reason;
    return `rejected (${run.rejection.code}): ${reason}`;
  }
  if (run.failure) return `step ${run.failure.step} failed: ${run.failure.reason}`;
  return undefined;
}

/**
 * Rejections a replay of the same request can get past, once something outside the request changed (the
 * tag added, the other run finished, the database or snapshot available, the snapshot created). The others
 * (invalid input, unknown database, unsupported, an incompatible snapshot, ...) need another request.
 */
const REPLAYABLE_REJECTIONS = new Set([
  'not-opted-in',
  'already-running',
  'not-available',
  'snapshot-not-found',
  'internal-error',
]);

/** What to do next about a run that did not complete, as a command line; undefined while it runs. */
export function nextStepOf(run: RunRecord): string | undefined {
  const flags = `${run.kind === 'cluster' ? ' --cluster' : ''}`;
  switch (run.status) {
    case 'failed':
      return run.failure?.errorCode === 'Cancelled'
        ? `cancelled; to run it again: rewind replay ${run.runId}`
        : `fix the cause, then run it again: rewind replay ${run.runId}`;
    case 'rollback-failed':
      return run.task === 'clone'
        ? `the half-made clone ${run.identifier} may remain: follow the action in rewind status ${run.runId}`
        : `${run.identifier} may NOT be under its name: follow the action in rewind status ${run.runId}`;
    case 'rejected':
      if (!isInvalidRequest(run) && REPLAYABLE_REJECTIONS.has(run.rejection?.code ?? ''))
        return `once that is fixed, run it again: rewind replay ${run.runId}`;
      return isInvalidRequest(run) || run.identifier === '(invalid)'
        ? 'the same request would be rejected again: send a corrected one (rewind restore <identifier> --task TASK)'
        : run.task === 'clone'
          ? `the same request would be rejected again: send a corrected one (rewind clone ${run.identifier} <target>${flags} ...)`
          : `the same request would be rejected again: send a corrected one (rewind restore ${run.identifier}${flags} --task ${run.task} ...)`;
    default:
      return undefined;
  }
}

/** The task a run's request asked for, or undefined for an invalid request (it asked for none). */
export const taskOf = (run: RunRecord) => (isInvalidRequest(run) ? undefined : run.task);

/** The run as one JSON-friendly object (for --json). */
export function runDocument(run: RunRecord, timeline: readonly LogEntry[], cliTerms?: boolean) {
  const { outbox: _outbox, config: _config, ...record } = run;
  return {
    ...record,
    durationMs: runDurationMs(run, timeline),
    ...(isInvalidRequest(run) ? { task: null, invalidRequest: true } : {}),
    reason: reasonOf(run, cliTerms),
    nextStep: nextStepOf(run),
    steps: stepsOf(run, timeline),
    timeline: timelineRows(timeline),
  };
}

export const describeStep = (s: StepView) =>
  s.durationMs === undefined ? s.state : `${s.state} in ${formatDuration(s.durationMs)}`;
