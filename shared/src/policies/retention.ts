import type { Retention } from './snapshotPolicies';

/**
 * Retention as a pure decision: given a policy's snapshots of one database in one region (only those
 * Rewind created for that policy: the caller selects them by the tags Rewind set), the time of the firing,
 * and what must be kept whatever their age (a run needs it, it is being copied, shared or exported), says
 * which to delete and why, and why each other one is kept.
 *
 * Rules: the newest available snapshot is always kept; a snapshot is kept while `keepLast` keeps it
 * (among the newest N) or `maxAgeDays` keeps it (younger than D days); with both, it goes only when
 * neither keeps it. Only `available` snapshots are ever deleted.
 */
export interface RetentionCandidate {
  snapshotIdentifier: string;
  status: string;
  /** When the snapshot was taken for the policy (the firing's scheduled time Rewind recorded). */
  createdAt: Date;
}

export interface RetentionDecision {
  snapshotIdentifier: string;
  createdAt: string;
  ageDays: number;
  reason: string;
}

export interface RetentionPlan {
  delete: RetentionDecision[];
  keep: RetentionDecision[];
}

const DAY_MS = 86_400_000;

export function planRetention(
  snapshots: RetentionCandidate[],
  retention: Retention,
  asOf: Date,
  protectedReasons: ReadonlyMap<string, string> = new Map(),
): RetentionPlan {
  const newestFirst = [...snapshots].sort(
    (a, b) =>
      b.createdAt.getTime() - a.createdAt.getTime() ||
      b.snapshotIdentifier.localeCompare(a.snapshotIdentifier),
  );
  const newestAvailable = newestFirst.find((s) => s.status === 'available')?.snapshotIdentifier;
  const plan: RetentionPlan = { delete: [], keep: [] };
  let rank = 0;
  for (const s of newestFirst) {
    const ageDays = Math.round(((asOf.getTime() - s.createdAt.getTime()) / DAY_MS) * 1000) / 1000;
    const entry = (reason: string): RetentionDecision => ({
      snapshotIdentifier: s.snapshotIdentifier,
      createdAt: s.createdAt.toISOString(),
      ageDays,
      reason,
    });
    if (s.status === 'available') rank++;
    const protectedReason = protectedReasons.get(s.snapshotIdentifier);
    if (s.status !== 'available') plan.keep.push(entry(`${s.status}, not available: never deleted`));
    else if (s.snapshotIdentifier === newestAvailable)
      plan.keep.push(entry('newest available snapshot: always kept'));
    else if (protectedReason) plan.keep.push(entry(protectedReason));
    else {
      const byCount = retention.keepLast !== undefined && rank <= retention.keepLast;
      const byAge = retention.maxAgeDays !== undefined && ageDays < retention.maxAgeDays;
      if (byCount) plan.keep.push(entry(`among the newest ${retention.keepLast} (keepLast)`));
      else if (byAge) plan.keep.push(entry(`younger than ${retention.maxAgeDays} days (maxAgeDays)`));
      else {
        const why = [
          retention.keepLast !== undefined
            ? `not among the newest ${retention.keepLast} (keepLast)`
            : undefined,
          retention.maxAgeDays !== undefined
            ? `older than ${retention.maxAgeDays} days (maxAgeDays)`
            : undefined,
        ].filter(Boolean);
        plan.delete.push(entry(why.join(' and ')));
      }
    }
  }
  return plan;
}
