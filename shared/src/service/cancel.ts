import type { RunRecord } from '../state/types';

/**
 * Why a run cannot be cancelled now (and what to do instead), or undefined when it can. A run can be
 * cancelled while a forward step other than cleanup is next: before the original is renamed aside the
 * run simply ends; from the set-aside on, cancelling is that step's failure, so the usual compensation
 * (discard the half-restored copy, rename the original back) runs. Cleanup comes after the restore was
 * verified: there is nothing left to undo.
 */
export function cancelRefusal(run: RunRecord): string | undefined {
  const follow = `follow it with: rewind status ${run.runId}`;
  if (run.status === 'rolling-back') return `${run.runId} is already rolling back; let it finish (${follow})`;
  if (run.status !== 'running') return `${run.runId} has ended (${run.status}); there is nothing to cancel`;
  // A switchover, a failover or a promotion under way cannot be called back; the run ends within its deadline.
  if (run.dr) {
    return `${run.runId} is a DR run: the switchovers, failovers and promotions it started cannot be called back; it ends within its deadline, saying what moved (${follow})`;
  }
  const next = run.run.next;
  if (next === 'cleanup') {
    return `${run.runId} has restored ${run.identifier} and verified it; only the deletion of the set-aside original is left, which a cancel cannot undo (${follow})`;
  }
  if (!next || next === 'discard' || next === 'rename-back')
    return `${run.runId} is not at a forward step (${follow})`;
  return undefined;
}
