import type { RdsState } from './state';

/** Raises PercentProgress in steps while a snapshot is `creating`. */
export function scheduleProgress(s: RdsState, snap: { percentProgress: number }, duration: number): void {
  for (const pct of [25, 50, 75]) {
    s.sched.after((duration * pct) / 100, () => (snap.percentProgress = pct), snap);
  }
}
