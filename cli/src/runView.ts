import type { LogEntry, RunRecord } from '@rewind/shared';
import { formatDuration } from './output';

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
  /** Since the previous entry. */
  deltaMs: number;
  direction: LogEntry['direction'];
  type: string;
  source?: string;
  summary?: string;
}

const ms = (iso: string) => Date.parse(iso);
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
    const key = `${e.type} ${JSON.stringify(e.detail)}`;
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

export function timelineRows(timeline: readonly LogEntry[]): TimelineRow[] {
  const first = timeline[0] ? ms(timeline[0].at) : 0;
  return timeline.map((e, i) => ({
    at: e.at,
    offsetMs: ms(e.at) - first,
    deltaMs: i === 0 ? 0 : ms(e.at) - ms(timeline[i - 1]!.at),
    direction: e.direction,
    type: e.type,
    source: e.source,
    summary: e.summary,
  }));
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

/** The reason a run did not complete, if it did not. */
export function reasonOf(run: RunRecord): string | undefined {
  if (run.rejection) return `rejected (${run.rejection.code}): ${run.rejection.reason}`;
  if (run.failure) return `step ${run.failure.step} failed: ${run.failure.reason}`;
  return undefined;
}

/** The run as one JSON-friendly object (for --json). */
export function runDocument(run: RunRecord, timeline: readonly LogEntry[]) {
  const { outbox: _outbox, config: _config, ...record } = run;
  return {
    ...record,
    durationMs: runDurationMs(run, timeline),
    reason: reasonOf(run),
    steps: stepsOf(run, timeline),
    timeline: timelineRows(timeline),
  };
}

export const describeStep = (s: StepView) =>
  s.durationMs === undefined ? s.state : `${s.state} in ${formatDuration(s.durationMs)}`;
