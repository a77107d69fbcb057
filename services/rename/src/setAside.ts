import { completeStep, defineStep, event } from '@rewind/shared';
import { renamePhases, renamesOf } from './renameOps';

/**
 * `set-aside`: the original goes to its temporary name (`<identifier>-rw<tag>-old`) so the restore can
 * take the name; a cluster's members follow it. An instance rename emits no RDS event: the step is done
 * when two looks in a row find every new name available and every old name gone (an instance restart
 * event for the new name, or a cluster's RDS-EVENT-0172, only triggers an early look).
 */
export const setAside = defineStep({
  step: 'set-aside',
  role: 'forward',
  target: 'available',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.rename,
  confirmations: 2,
  phases: (ctx, run) => renamePhases(ctx, run, 'set-aside'),
  complete: (ctx, run) => {
    const { from, to } = renamesOf(run, 'set-aside').main;
    return completeStep(
      ctx,
      run,
      'set-aside',
      (block) => event('RenameCompleted', { run: block, from, to, purpose: 'set-aside' }),
      { resources: { ...run.resources, setAside: to } },
    );
  },
});
