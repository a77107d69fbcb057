import type { LogEntry, RunRecord } from '@rewind/shared';
import { clip } from '../src/output';
import { inCliTerms, outgoingOf, stepsOf, timelineRows } from '../src/runView';

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

describe('the timeline of a run', () => {
  test("each of Rewind's own events is one row: published, received, and published again are folded", () => {
    const received = (s: number, type: string): LogEntry => ({
      runId: 'run-1',
      at: at(s),
      direction: 'in',
      type,
      source: 'rewind',
    });
    const rds: LogEntry = {
      runId: 'run-1',
      at: at(3),
      direction: 'in',
      type: 'RDS DB Instance Event',
      source: 'aws.rds',
    };
    const rows = timelineRows([
      { runId: 'run-1', at: at(0), direction: 'in', type: 'RestoreRequested', source: 'rewind.cli' },
      out(0, 'RunStarted', 'snapshot'),
      received(1, 'RunStarted'),
      out(2, 'SnapshotReady', 'set-aside', 'snap'),
      out(2, 'SnapshotReady', 'set-aside', 'snap'),
      received(2, 'SnapshotReady'),
      rds,
      out(4, 'RenameCompleted', 'restore', 'a -> b'),
    ]);
    expect(
      rows.map((r) => [r.direction, r.type, r.offsetMs, r.deltaMs, r.receivedAfterMs, r.published]),
    ).toEqual([
      ['in', 'RestoreRequested', 0, 0, undefined, undefined],
      ['out', 'RunStarted', 0, 0, 1000, undefined],
      ['out', 'SnapshotReady', 2000, 2000, 0, 2],
      ['in', 'RDS DB Instance Event', 3000, 1000, undefined, undefined],
      ['out', 'RenameCompleted', 4000, 1000, undefined, undefined],
    ]);
  });
});

describe('words for the operator', () => {
  test('clip cuts at a word and says so', () => {
    expect(clip('short', 80)).toBe('short');
    expect(
      clip('the set-aside original orders-db-old could not be deleted: InvalidDBInstanceState', 40),
    ).toBe('the set-aside original orders-db-old…');
  });

  test('request fields in a rejection are named by their CLI flags', () => {
    expect(
      inCliTerms('no snapshot to restore x from; pass "snapshotIdentifier", or run the create_snapshot task'),
    ).toBe('no snapshot to restore x from; pass --snapshot ID, or use --task create_snapshot');
    expect(inCliTerms('ledger is an Aurora cluster: send "isCluster": true')).toBe(
      'ledger is an Aurora cluster: add --cluster',
    );
    expect(
      inCliTerms('give "snapshotIdentifier" or "restoreTime", not both; pick another "targetIdentifier"'),
    ).toBe('give --snapshot or --time, not both; pick another <target>');
    expect(
      inCliTerms(
        'ledger-1 is a member of Aurora cluster ledger; restore the cluster instead ({"identifier": "ledger", "isCluster": true})',
      ),
    ).toBe(
      'ledger-1 is a member of Aurora cluster ledger; restore the cluster instead (rewind restore ledger --cluster)',
    );
  });
});
