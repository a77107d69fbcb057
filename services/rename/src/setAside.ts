import { completeStep, defineStep, event } from '@rewind/shared';
import { renamesOf, renameStep } from './renameOps';

/**
 * `set-aside`: the original goes to its temporary name (`<identifier>-rw<tag>-old`) so the restore can
 * take the name; a cluster's members follow it. An instance rename emits no RDS event: the step is done
 * when two looks in a row find every new name available and every old name gone (an instance restart
 * event for the new name, or a cluster's RDS-EVENT-0172, only triggers an early look). In a swap, the last
 * renames are done once the old names are free, before the reboot (see `renamePhases`).
 */
export const setAside = defineStep({
  ...renameStep('set-aside'),
  role: 'forward',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.rename,
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
