import { defineTask } from './lifecycle';
import type { DbClusterSnapshot, DbSnapshot } from './model';
import type { RdsState } from './state';

/** Raises PercentProgress in steps while a snapshot is `creating` (or a copy `copying`). */
export function scheduleProgress(s: RdsState, snap: DbSnapshot | DbClusterSnapshot, duration: number): void {
  for (const pct of [25, 50, 75]) s.sched.task((duration * pct) / 100, snap, progressed(snap, { pct }));
}

const progressed = defineTask(
  'snapshot.progress',
  (_s: RdsState, snap: DbSnapshot | DbClusterSnapshot, { pct }: { pct: number }) => {
    snap.percentProgress = Math.max(snap.percentProgress, pct);
  },
);
