import {
  describeError,
  isPermanentRdsError,
  type JobStore,
  type ServiceContext,
  type SourceFailure,
  type SourceJob,
} from '@rewind/shared';
import type { ReplicationDeps } from './deps';

/**
 * One look at a source job: what every stage of the source side shares. A stage that starts something
 * claims a mark first (a conditional write), so a deadline check, an RDS event and an answer arriving
 * together never act twice; a stage still under way leaves the look `pending`, and the next deadline
 * check (no later than `wakeAt`) looks again.
 */
export interface Look {
  ctx: ServiceContext;
  deps: ReplicationDeps;
  job: SourceJob;
  /** Something is still under way: check again later. */
  pending: boolean;
  /** The earliest deadline still ahead (epoch ms): the next check comes no later than that. */
  wakeAt?: number;
}

/** The job store, typed for source jobs (the service keeps both sides' jobs in one store). */
export const sourceJobs = (deps: ReplicationDeps) => deps.jobs as unknown as JobStore<SourceJob>;

/** Runs `action` once per job (`JobStore.once`); the mark holds `value` (default: now). */
export function once(
  l: Look,
  mark: string,
  action: () => Promise<void>,
  value = l.ctx.now().toISOString(),
): Promise<boolean> {
  return sourceJobs(l.deps).once(l.job, mark, value, action);
}

/** Records why the whole replication failed (the first failure wins); the look then cleans up and alerts. */
export async function failSource(l: Look, failure: Omit<SourceFailure, 'at'>): Promise<void> {
  const value = JSON.stringify({ ...failure, at: l.ctx.now().toISOString() });
  if (await sourceJobs(l.deps).mark(l.job, 'failed', value)) {
    l.ctx.log.warn('replication failed at the source', {
      replicationId: l.job.replicationId,
      stage: failure.stage,
      reason: failure.reason,
    });
  }
}

/**
 * An error from a call that starts something: true when it is AWS's answer (the caller fails the stage);
 * throttling, 5xx and unknown errors leave the stage pending for the next check.
 */
export function isRefusal(l: Look, err: unknown): boolean {
  if (isPermanentRdsError(err)) return true;
  l.ctx.log.warn('call not accepted yet; the next check tries again', {
    replicationId: l.job.replicationId,
    error: describeError(err),
  });
  l.pending = true;
  return false;
}

/** Whether `seconds` have passed since `since`; if not, the next check comes no later than then. */
export function passed(l: Look, since: string, seconds: number): boolean {
  const due = new Date(since).getTime() + seconds * 1000;
  if (l.ctx.now().getTime() >= due) return true;
  l.wakeAt = Math.min(l.wakeAt ?? due, due);
  return false;
}

/** `3600` -> `1 h`, `900` -> `15 min`, `45` -> `45 s`. */
export function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
