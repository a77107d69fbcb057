import { completeStep, defineStep, event } from '@rewind/shared';
import { renamesOf, renameStep } from './renameOps';

/**
 * `take-name` (swap): the copy restored beside the original, under its staging names, takes the
 * original's names once the set-aside has freed them: the cluster first, then each member. Each rename
 * is checked by the resource id the restore-beside recorded for the copy: a name held by anything else
 * fails the step, which discards the copy and renames the original back. Done on two looks in a row that
 * find every name taken and every staging name gone; checked every `REWIND_WAIT_RENAME_CHECK_SECONDS`
 * while in flight (the two renames of a swap are its downtime).
 */
export const takeName = defineStep({
  ...renameStep('take-name'),
  role: 'forward',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.rename,
  complete: (ctx, run) => {
    const { from, to } = renamesOf(run, 'take-name').main;
    return completeStep(
      ctx,
      run,
      'take-name',
      (block) => event('RenameCompleted', { run: block, from, to, purpose: 'take-name' }),
      { resources: { ...run.resources, restored: to } },
    );
  },
});
