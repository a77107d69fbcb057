import type { LogEntry, RunRecord } from '@rewind/shared';
import { outgoingOf, stepsOf } from '../src/runView';

const plan = ['snapshot', 'set-aside', 'restore', 'cleanup'] as const;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const out = (s: number, type: string, next: string | null, summary?: string): LogEntry => ({
  runId: 'run-1',
  at: at(s),
  direction: 'out',
  type,
  summary,
  detail: { run: { id: 'run-1', plan, next }, summary },
});

describe('steps of a run', () => {
  // The outbox publishes at least once: RenameCompleted went out twice (same type and detail).
  const timeline: LogEntry[] = [
    out(0, 'RunStarted', 'snapshot'),
    { runId: 'run-1', at: at(1), direction: 'in', type: 'RunStarted' },
    out(2, 'SnapshotReady', 'set-aside', 'snap'),
    out(4, 'RenameCompleted', 'restore', 'ledger -> ledger-old'),
    out(4, 'RenameCompleted', 'restore', 'ledger -> ledger-old'),
    out(9, 'RestoreCompleted', 'cleanup', 'snap'),
    out(11, 'CleanupCompleted', null),
  ];
  const run = { status: 'completed', run: { plan: [...plan] } } as unknown as RunRecord;

  test('a redelivered outgoing event is not another step', () => {
    expect(outgoingOf(timeline).map((e) => e.type)).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
    ]);
    expect(stepsOf(run, timeline).map((s) => [s.step, s.state, s.durationMs, s.outcome])).toEqual([
      ['snapshot', 'done', 2000, 'SnapshotReady: snap'],
      ['set-aside', 'done', 2000, 'RenameCompleted: ledger -> ledger-old'],
      ['restore', 'done', 5000, 'RestoreCompleted: snap'],
      ['cleanup', 'done', 2000, 'CleanupCompleted'],
    ]);
  });

  test('the same type with a different detail is kept', () => {
    const again = out(12, 'RenameCompleted', 'restore', 'ledger-2 -> ledger-2-old');
    expect(outgoingOf([...timeline, again]).map((e) => e.summary)).toContain('ledger-2 -> ledger-2-old');
  });
});
