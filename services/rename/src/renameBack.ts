import { completeRollback, defineStep } from '@rewind/shared';
import { renameBackAdvice, renamePhases } from './renameOps';

/**
 * `rename-back` (compensation): everything the set-aside moved goes back under its name, each once it
 * is available. An original that never left (by resource id) completes the step at once; otherwise two
 * looks in a row confirm. A failure is `RollbackFailed` with where each database stands and the commands
 * that finish the job.
 */
export const renameBack = defineStep({
  step: 'rename-back',
  role: 'compensation',
  target: 'available',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.rollback,
  confirmations: 2,
  completeAtStart: true,
  phases: (ctx, run) => renamePhases(ctx, run, 'rename-back'),
  complete: (ctx, run) => completeRollback(ctx, run, 'rename-back', run.identifier),
  advice: renameBackAdvice,
});
