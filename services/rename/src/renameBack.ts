import {
  completeRollback,
  completeStep,
  defineStep,
  describeError,
  event,
  type RollbackAdvice,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { command, findDatabase, isOurs, renamesOf, renameStep, type Rename } from './renameOps';

/** Where one database of a failed rename-back stands, and whether it is back under its name. */
async function standing(
  ctx: ServiceContext,
  r: Rename,
): Promise<{ back: boolean; state: string; taken?: string }> {
  const who = `the original ${r.kind} ${r.to} (${r.resourceId})`;
  try {
    const atName = await findDatabase(ctx, r, r.to);
    const taken = atName && atName.resourceId !== r.resourceId ? atName.resourceId : undefined;
    const holder = taken ? `${r.to} is held by another database (${taken})` : `nothing answers as ${r.to}`;
    if (atName && !taken) return { back: true, state: `${who} is ${atName.status} under its name` };
    const aside = await findDatabase(ctx, r, r.from);
    if (isOurs(aside, r)) {
      return {
        back: false,
        state: `${who} is ${aside.status} under the temporary name ${r.from}; ${holder}`,
        taken,
      };
    }
    return { back: false, state: `${who} is neither under ${r.from} nor under its name; ${holder}`, taken };
  } catch (err) {
    return { back: false, state: `${who} could not be described: ${describeError(err)}` };
  }
}

/** For `RollbackFailed`: where each database stands and the exact commands that finish the rename-back. */
export async function renameBackAdvice(ctx: ServiceContext, run: RunRecord): Promise<RollbackAdvice> {
  const { main, members } = renamesOf(run, 'rename-back');
  const all = [main, ...members];
  const found = await Promise.all(all.map((r) => standing(ctx, r)));
  const left = all.filter((_, i) => !found[i]!.back);
  const freeFirst = all.flatMap((r, i) => {
    const taken = found[i]!.taken;
    return taken
      ? [`${r.to} is held by another database (${taken}): find out what it is and move it away first`]
      : [];
  });
  const commands = left.map(command);
  const action = commands.length
    ? [...freeFirst, `rename what is still under a temporary name back by hand: ${commands.join('; ')}`].join(
        '; ',
      )
    : 'every database is back under its name: check its status and endpoint before sending traffic to it';
  return { state: found.map((f) => f.state).join('; '), action };
}

/**
 * `rename-back` (compensation): everything the set-aside moved goes back under its name, each once it
 * is available (last of the compensation, or, after a swap's failed set-aside, before the discard). An original that never left (by resource id) completes the step at once; otherwise two
 * looks in a row confirm. A failure is `RollbackFailed` with where each database stands and the commands
 * that finish the job.
 */
export const renameBack = defineStep({
  ...renameStep('rename-back'),
  role: 'compensation',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.rollback,
  completeAtStart: true,
  complete: async (ctx, run) => {
    // Swap, after a failed set-aside: the original is back first, the copy beside it is discarded next.
    if (run.run.plan.indexOf('rename-back') < run.run.plan.length - 1) {
      const { from, to } = renamesOf(run, 'rename-back').main;
      return completeStep(ctx, run, 'rename-back', (block) =>
        event('RenameCompleted', { run: block, from, to, purpose: 'rename-back' }),
      );
    }
    return completeRollback(ctx, run, 'rename-back', run.identifier);
  },
  advice: renameBackAdvice,
});
