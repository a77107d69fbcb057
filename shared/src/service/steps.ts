import { addressScope } from '../contracts/address';
import type { EventName } from '../contracts/events';
import { EVENT_NAMES } from '../contracts/events';
import type { RunBlock, StepName } from '../contracts/run';
import { StaleWriteError } from '../errors';
import type { Expectation, RunRecord } from '../state/types';
import type { ServiceContext } from './context';
import { loadRun, type Envelope, type EventRoutes, type InboxRoutes } from './handler';
import { logIncoming } from './runs';
import { rearmWait, settle, type DeadlineCheck, type WaitingStep } from './waiting';

/**
 * Glue between the inbox and a service's steps: starting a step when the routing slip says it is
 * next, and settling waiting steps on RDS events and deadline checks.
 */

export type StartStep = (
  ctx: ServiceContext,
  run: RunRecord,
  incoming?: { name: EventName; detail: unknown },
) => Promise<void>;

/** The steps each route table starts (`stepRoutes`) or waits on (`waitingRoutes`), for `routedSteps`. */
const startedBy = new WeakMap<object, StepName[]>();
const awaitedBy = new WeakMap<object, StepName[]>();

/** The steps a service's routes start, and the steps they settle on RDS events and deadline checks. */
export function routedSteps(routes: InboxRoutes): { start: StepName[]; wait: StepName[] } {
  return {
    start: (routes.events && startedBy.get(routes.events)) ?? [],
    wait: (routes.check && awaitedBy.get(routes.check)) ?? [],
  };
}

/** Event routes that start `starts[run.next]` for every Rewind event carrying a run block. */
export function stepRoutes(starts: Partial<Record<StepName, StartStep>>): EventRoutes {
  const routes: Record<string, (detail: unknown, envelope: Envelope, ctx: ServiceContext) => Promise<void>> =
    {};
  for (const name of EVENT_NAMES) {
    routes[name] = async (detail, envelope, ctx) => {
      const block = (detail as { run?: RunBlock }).run;
      const start = block?.next ? starts[block.next] : undefined;
      if (!block || !start) return;
      const run = await loadRun(ctx, block.id, [name]);
      if (!run) {
        ctx.log.warn('event for an unknown run ignored', { runId: block.id, detailType: name });
        return;
      }
      const log = ctx.log.child({ runId: run.runId });
      if (run.run.next !== block.next) {
        log.info('stale event ignored: the run has moved on', { detailType: name, next: run.run.next });
        return;
      }
      if (run.expectation?.step === block.next) {
        log.info('duplicate event: the step is already under way; its deadline check is re-armed', {
          detailType: name,
          step: block.next,
        });
        await rearmWait(ctx, run);
        return;
      }
      log.info('starting step', { step: block.next, trigger: name });
      // The timeline entry does not gate the step: written alongside it.
      await Promise.all([
        logIncoming(ctx, run.runId, name, detail, envelope.source),
        start(ctx, run, { name, detail }),
      ]);
    };
  }
  startedBy.set(
    routes,
    (Object.keys(starts) as StepName[]).filter((step) => starts[step]),
  );
  return routes as EventRoutes;
}

/** The awaited resource, or one of the others the current phase waits on at once. */
function isWatched(expectation: Expectation, name: string): boolean {
  return expectation.resourceName === name || (expectation.phase?.watch ?? []).includes(name);
}

/** RDS-event and deadline-check routes for a service's waiting steps. */
export function waitingRoutes(steps: WaitingStep[]): Pick<InboxRoutes, 'rds' | 'check'> {
  const byStep = new Map(steps.map((s) => [s.step, s]));
  const routes = {
    rds: async (event, envelope, ctx) => {
      // An event from another account or region is looked up at its address (the home keys stay unscoped).
      const scope =
        event.account && event.region
          ? addressScope({ account: event.account, region: event.region }, ctx.config.home)
          : '';
      const index = await ctx.store.lookupResource(event.kind, event.name, ctx.now(), scope);
      const step = index && byStep.get(index.step);
      if (!index || !step) return;
      const run = await loadRun(ctx, index.runId);
      if (!run || run.expectation?.step !== step.step || !isWatched(run.expectation, event.name)) return;
      // The timeline entry does not gate the step: written alongside it.
      const [, outcome] = await Promise.all([
        logIncoming(
          ctx,
          run.runId,
          envelope['detail-type'],
          envelope.detail,
          'aws.rds',
          `${event.eventId ?? ''} ${event.message}`.trim(),
        ),
        settle(ctx, run, step),
      ]);
      ctx.log
        .child({ runId: run.runId })
        .info('RDS event settled', { eventId: event.eventId, name: event.name, outcome });
    },
    check: async (check: DeadlineCheck, ctx) => {
      const step = byStep.get(check.step);
      const run = step && (await loadRun(ctx, check.runId));
      if (!run || !step) return;
      const outcome = await settle(ctx, run, step, check);
      ctx.log
        .child({ runId: run.runId })
        .debug('deadline check', { step: check.step, seq: check.seq, outcome });
    },
  } satisfies Required<Pick<InboxRoutes, 'rds' | 'check'>>;
  awaitedBy.set(routes.check, [...byStep.keys()]);
  return routes;
}

/** Marks the step's RDS call as accepted (re-reading on lost races). */
export async function markActed(
  ctx: ServiceContext,
  run: RunRecord,
  step: StepName,
): Promise<RunRecord | undefined> {
  let current: RunRecord | undefined = run;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    if (current.expectation?.step !== step) return current;
    if (current.expectation.acted) return current;
    try {
      return await ctx.store.updateRun(current, { expectation: { ...current.expectation, acted: true } });
    } catch (err) {
      if (!(err instanceof StaleWriteError)) throw err;
      current = await ctx.store.getRun(run.runId);
    }
  }
  return current;
}

/**
 * Decides whether a waiting step whose call is not marked accepted should call again: only when the
 * first attempt is older than the act timeout (so an attempt still in flight is never doubled).
 */
export function shouldActAgain(ctx: ServiceContext, run: RunRecord): boolean {
  const exp = run.expectation;
  if (!exp || exp.acted) return false;
  return ctx.now().getTime() - new Date(exp.startedAt).getTime() > ctx.config.wait.actTimeoutSeconds * 1000;
}
