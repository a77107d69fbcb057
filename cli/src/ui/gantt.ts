import { COMPENSATION_STEPS, RDS_EVENT_SOURCES, type LogEntry, type RunRecord } from '@rewind/shared';
import { isActive } from '../runList';
import { outgoingOf, TERMINAL_EVENTS } from '../runView';

/**
 * A run's timeline as a Gantt chart: a bar per step, split into the time RDS was working and Rewind's own
 * time (delivering the event that starts the step, noticing that RDS finished, verifying, publishing).
 * From the run's log alone:
 * - the step starts when the event whose routing slip names it is published;
 * - Rewind's delivery: until the service it is for receives that event (it makes its RDS call then);
 * - RDS: from there to the moment RDS emitted the last event of the step that the service received (the
 *   event's own `Date`), or, for a step RDS announces nothing for (an instance rename), to the end: then
 *   the bar says it was confirmed by describe calls;
 * - Rewind again: from that event to the step's own event (event delivery, verification, confirmation).
 */

export type SegmentKind = 'rewind' | 'rds';

export interface Segment {
  kind: SegmentKind;
  fromMs: number;
  toMs: number;
  /** What the time was: "delivery of RunStarted", "RDS: snapshot creating → available". */
  label: string;
}

export interface GanttRow {
  step: string;
  role: 'intake' | 'forward' | 'compensation';
  state: 'done' | 'failed' | 'waiting' | 'pending';
  startMs?: number;
  endMs?: number;
  segments: Segment[];
  rdsMs: number;
  rewindMs: number;
  /** RDS events the step received. */
  rdsEvents: number;
  /** No RDS event came: completion was confirmed by describe calls (or the deadline check). */
  confirmedByDescribe: boolean;
  /** The event that ended the step. */
  outcome?: string;
}

export interface Gantt {
  startMs: number;
  endMs: number;
  rows: GanttRow[];
  rdsMs: number;
  rewindMs: number;
}

const ms = (iso: string) => Date.parse(iso);
const nextOf = (e: LogEntry) =>
  (e.detail as { run?: { next?: string | null } } | undefined)?.run?.next ?? null;
const isRdsEntry = (e: LogEntry) =>
  e.direction === 'in' && (RDS_EVENT_SOURCES as readonly string[]).includes(e.source ?? '');
/** When RDS emitted the event (its detail's `Date`), else when Rewind received it. */
function emittedMs(e: LogEntry): number {
  const date = (e.detail as { Date?: unknown } | undefined)?.Date;
  const t = typeof date === 'string' ? ms(date) : NaN;
  return Number.isFinite(t) && t <= ms(e.at) ? t : ms(e.at);
}

const sum = (segments: Segment[], kind: SegmentKind) =>
  segments.filter((s) => s.kind === kind).reduce((n, s) => n + (s.toMs - s.fromMs), 0);

function row(
  step: string,
  role: GanttRow['role'],
  state: GanttRow['state'],
  segments: Segment[],
  extra: Partial<GanttRow> = {},
): GanttRow {
  const kept = segments.filter((s) => s.toMs > s.fromMs || s.kind === 'rds');
  return {
    step,
    role,
    state,
    startMs: kept[0]?.fromMs,
    endMs: kept[kept.length - 1]?.toMs,
    segments: kept,
    rdsMs: sum(kept, 'rds'),
    rewindMs: sum(kept, 'rewind'),
    rdsEvents: 0,
    confirmedByDescribe: false,
    ...extra,
  };
}

export function ganttOf(run: RunRecord, timeline: readonly LogEntry[], now = Date.now()): Gantt {
  const out = outgoingOf(timeline);
  const startMs = timeline.length ? ms(timeline[0]!.at) : ms(run.createdAt);
  const terminal = out.find((e) => (TERMINAL_EVENTS as readonly string[]).includes(e.type));
  const lastMs = timeline.length ? ms(timeline[timeline.length - 1]!.at) : ms(run.updatedAt);
  const endMs = terminal ? ms(terminal.at) : isActive(run) ? Math.max(now, lastMs) : lastMs;
  const rows: GanttRow[] = [];

  const first = out[0];
  if (first) {
    rows.push(
      row('intake', 'intake', first.type === 'RestoreRejected' ? 'failed' : 'done', [
        { kind: 'rewind', fromMs: startMs, toMs: ms(first.at), label: `intake: checks, then ${first.type}` },
      ]),
    );
  }

  for (let i = 0; i < out.length; i++) {
    const starter = out[i]!;
    const step = nextOf(starter);
    if (!step) continue;
    const end = out[i + 1];
    const from = ms(starter.at);
    const to = end ? ms(end.at) : isActive(run) ? Math.max(now, from) : lastMs;
    const within = timeline.filter((e) => ms(e.at) >= from && ms(e.at) <= to);
    const received = within.find(
      (e) => e.direction === 'in' && e.source === 'rewind' && e.type === starter.type,
    );
    const receivedMs = received ? ms(received.at) : from;
    const rds = within.filter(isRdsEntry);
    const lastRds = rds[rds.length - 1];
    const segments: Segment[] = [
      {
        kind: 'rewind',
        fromMs: from,
        toMs: receivedMs,
        label: `delivery of ${starter.type} to the ${step} step`,
      },
    ];
    if (lastRds) {
      const rdsEnd = Math.max(receivedMs, Math.min(emittedMs(lastRds), to));
      segments.push({
        kind: 'rds',
        fromMs: receivedMs,
        toMs: rdsEnd,
        label: `RDS working, until ${lastRds.summary ?? lastRds.type}`,
      });
      segments.push({
        kind: 'rewind',
        fromMs: rdsEnd,
        toMs: to,
        label: end ? `RDS event delivery, checks, then ${end.type}` : 'Rewind: checking',
      });
    } else {
      segments.push({
        kind: 'rds',
        fromMs: receivedMs,
        toMs: to,
        label: end
          ? 'RDS working (no RDS event: confirmed by describe calls)'
          : 'waiting on RDS (no RDS event yet)',
      });
    }
    const state: GanttRow['state'] = end
      ? end.type === 'RestoreFailed' || end.type === 'RollbackFailed'
        ? 'failed'
        : 'done'
      : isActive(run)
        ? 'waiting'
        : 'failed';
    rows.push(
      row(
        step,
        (COMPENSATION_STEPS as readonly string[]).includes(step) ? 'compensation' : 'forward',
        state,
        segments,
        {
          rdsEvents: rds.length,
          confirmedByDescribe: rds.length === 0 && end !== undefined,
          outcome: end ? [end.type, end.summary].filter(Boolean).join(': ') : undefined,
        },
      ),
    );
  }
  const reached = new Set(rows.map((r) => r.step));
  for (const step of run.run.plan) {
    if (!reached.has(step))
      rows.push(
        row(
          step,
          (COMPENSATION_STEPS as readonly string[]).includes(step) ? 'compensation' : 'forward',
          'pending',
          [],
        ),
      );
  }
  return {
    startMs,
    endMs: Math.max(endMs, startMs + 1),
    rows,
    rdsMs: rows.reduce((n, r) => n + r.rdsMs, 0),
    rewindMs: rows.reduce((n, r) => n + r.rewindMs, 0),
  };
}
