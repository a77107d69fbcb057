import type { LogEntry, RunRecord } from '@rewind/shared';
import { ganttOf } from '../../src/ui/gantt';

const T0 = Date.parse('2026-01-02T03:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const block = (next: string | null) => ({ run: { id: 'r1', plan: ['snapshot', 'set-aside'], next } });

function run(status: RunRecord['status']): RunRecord {
  return {
    runId: 'r1',
    identifier: 'orders-db',
    kind: 'instance',
    task: 'create_snapshot',
    strategy: 'in-place',
    run: {
      id: 'r1',
      identifier: 'orders-db',
      kind: 'instance',
      task: 'create_snapshot',
      strategy: 'in-place',
      plan: ['snapshot', 'set-aside'],
      next: null,
    },
    status,
    version: 3,
    request: {},
    names: {},
    warnings: [],
    resources: {},
    createdAt: at(0),
    updatedAt: at(0),
  } as unknown as RunRecord;
}

const entry = (
  ms: number,
  direction: LogEntry['direction'],
  type: string,
  source: string,
  detail?: unknown,
): LogEntry => ({
  runId: 'r1',
  at: at(ms),
  direction,
  type,
  source,
  detail,
});

const snapshotted: LogEntry[] = [
  entry(0, 'in', 'RestoreRequested', 'rewind.cli'),
  entry(20, 'out', 'RunStarted', 'restore', block('snapshot')),
  entry(25, 'in', 'RunStarted', 'rewind', block('snapshot')),
  entry(30, 'in', 'RDS DB Snapshot Event', 'aws.rds', { Date: at(28) }),
  entry(650, 'in', 'RDS DB Snapshot Event', 'aws.rds', { Date: at(640) }),
  entry(660, 'out', 'SnapshotReady', 'snapshot', block('set-aside')),
  entry(664, 'in', 'SnapshotReady', 'rewind', block('set-aside')),
];

describe('the Gantt chart of a run', () => {
  test('a step is split into delivery (Rewind), RDS until the emission of its last RDS event, and Rewind after', () => {
    const gantt = ganttOf(run('running'), snapshotted, T0 + 1000);

    const [intake, snapshot, setAside] = gantt.rows;
    expect(intake).toMatchObject({ step: 'intake', state: 'done', rewindMs: 20, rdsMs: 0 });
    expect(snapshot).toMatchObject({
      step: 'snapshot',
      state: 'done',
      rdsEvents: 2,
      confirmedByDescribe: false,
    });
    expect(snapshot!.segments.map((s) => [s.kind, s.fromMs - T0, s.toMs - T0])).toEqual([
      ['rewind', 20, 25],
      ['rds', 25, 640],
      ['rewind', 640, 660],
    ]);
    expect([snapshot!.rdsMs, snapshot!.rewindMs]).toEqual([615, 25]);
    // Under way: no RDS event yet, so the bar runs to now as waiting on RDS.
    expect(setAside).toMatchObject({
      step: 'set-aside',
      state: 'waiting',
      rdsEvents: 0,
      confirmedByDescribe: false,
    });
    expect(setAside!.segments.map((s) => [s.kind, s.fromMs - T0, s.toMs - T0])).toEqual([
      ['rewind', 660, 664],
      ['rds', 664, 1000],
    ]);
    expect(gantt.endMs - T0).toBe(1000);
  });

  test('a step that ended without an RDS event was confirmed by describe calls; a step never reached is pending', () => {
    const timeline = [...snapshotted, entry(2000, 'out', 'RestoreFailed', 'rename', block('rename-back'))];
    const record = {
      ...run('failed'),
      run: { ...run('failed').run, plan: ['snapshot', 'set-aside', 'restore'] },
    } as RunRecord;

    const gantt = ganttOf(record, timeline);

    const setAside = gantt.rows.find((r) => r.step === 'set-aside')!;
    expect(setAside).toMatchObject({ state: 'failed', confirmedByDescribe: true, outcome: 'RestoreFailed' });
    expect(setAside.segments.map((s) => s.kind)).toEqual(['rewind', 'rds']);
    expect(gantt.rows.find((r) => r.step === 'restore')).toMatchObject({ state: 'pending', segments: [] });
    // rename-back was started (RestoreFailed names it), and the run is no longer active without its end: failed.
    expect(gantt.rows.find((r) => r.step === 'rename-back')).toMatchObject({
      role: 'compensation',
      state: 'failed',
    });
  });
});
