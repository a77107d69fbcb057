import {
  commit,
  defineStep,
  elapsedMs,
  event,
  resourceKey,
  type DefinedStep,
  type DrResource,
  type EventInput,
  type PhaseOp,
  type Phases,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { adapterOf, type DrContext } from './resources';

/**
 * A DR run's one step (`failover` or `failback`): the plan's layers as the step's phases. Layer after
 * layer; within a layer, every resource's operations start together (a resource with two stages, such as
 * a failback replica that is first created then promoted, has its second stage in the layer's next
 * phase). A resource that fails stops the run: later layers never start, and the run ends with
 * `FailoverFailed` saying which resources moved, which did not, and the commands. The step's deadline
 * bounds the whole run, so no run waits forever.
 */

type Outcome = EventInput<'FailoverFailed'>['resources'][number];

interface Layout {
  phases: Phases;
  /** 0-based layer of each phase. */
  layerOf: number[];
}

export function drContext(ctx: ServiceContext, run: RunRecord): DrContext {
  const dr = run.dr!;
  return { ctx, run, direction: dr.direction, mode: dr.mode };
}

/** Whether `op` (at phase `index`) was sent and accepted: an earlier phase, or sent in the current one. */
function wasSent(run: RunRecord, index: number, op: PhaseOp): boolean {
  const phase = run.expectation?.phase;
  if (!phase) return false;
  if (phase.index > index) return true;
  return (
    phase.index === index && Boolean(run.expectation?.acted) && phase.sent.includes(`${op.kind}:${op.name}`)
  );
}

export function layout(ctx: ServiceContext, run: RunRecord): Layout {
  const dr = drContext(ctx, run);
  const phases: Phases = [];
  const layerOf: number[] = [];
  const indexOf = new Map<PhaseOp, number>();
  const sent = (op: PhaseOp) => wasSent(run, indexOf.get(op) ?? Infinity, op);
  run.dr!.layers.forEach((layer, l) => {
    const stages = layer.resources.map((r) => adapterOf(r).stages(dr, r, sent));
    const depth = Math.max(...stages.map((s) => s.length));
    for (let s = 0; s < depth; s++) {
      const ops = stages.flatMap((st) => st[s] ?? []);
      if (!ops.length) continue;
      for (const op of ops) indexOf.set(op, phases.length);
      phases.push(ops);
      layerOf.push(l);
    }
  });
  return { phases, layerOf };
}

function refOf(layer: number, r: DrResource) {
  const a = adapterOf(r).address(r);
  return { layer: layer + 1, type: r.type, id: a.id, region: a.region };
}

/** Every resource of the plan and where it stands now (describe calls), for the failure report. */
async function outcomes(ctx: ServiceContext, run: RunRecord, failedLayer: number): Promise<Outcome[]> {
  const dr = drContext(ctx, run);
  const entries = run.dr!.layers.flatMap((layer, l) => layer.resources.map((r) => ({ l, r })));
  return Promise.all(
    entries.map(async ({ l, r }): Promise<Outcome> => {
      const ref = refOf(l, r);
      try {
        const seen = await adapterOf(r).inspect(dr, r);
        if (seen.atTarget) return { ...ref, outcome: 'moved', detail: seen.detail };
        if (seen.moving) return { ...ref, outcome: 'in-progress', detail: seen.detail };
        if (l > failedLayer)
          return { ...ref, outcome: 'not-started', detail: `layer ${l + 1} never started` };
        return { ...ref, outcome: 'not-moved', detail: seen.detail };
      } catch (err) {
        return { ...ref, outcome: 'not-moved', detail: `could not be described: ${(err as Error).message}` };
      }
    }),
  );
}

function warningsOf(run: RunRecord): string[] {
  const dr = run.dr!;
  const warnings: string[] = [];
  if (dr.direction === 'failover' && dr.mode === 'unplanned') {
    for (const layer of dr.layers) {
      for (const r of layer.resources) {
        if (r.type !== 'aurora-global') continue;
        const old = dr.origins[resourceKey(r)]?.id ?? 'the old primary';
        warnings.push(
          `${r.globalClusterId}: when its region recovers, Aurora snapshots ${old} as rds:unplanned-global-failover-${old}-<time> (it expires with ${old}'s backup retention) and re-adds it as a secondary; rewind failback keeps a manual copy of that snapshot before switching back`,
        );
      }
    }
  }
  return warnings;
}

async function complete(ctx: ServiceContext, run: RunRecord, data: Record<string, unknown>) {
  const dr = run.dr!;
  const runBlock = { ...run.run, next: null };
  const resources: Outcome[] = dr.layers.flatMap((layer, l) =>
    layer.resources.map((r) => {
      const ref = refOf(l, r);
      const endpoint = data[`endpoint:${ref.id}`];
      return {
        ...ref,
        outcome: 'moved' as const,
        detail: endpoint ? `primary; endpoint ${String(endpoint)}` : 'primary',
      };
    }),
  );
  const keptSnapshots = Object.entries(data)
    .filter(([k]) => k.startsWith('kept:'))
    .flatMap(([, v]) => v as string[]);
  const warnings = [...run.warnings, ...warningsOf(run)];
  await commit(ctx, run, { run: runBlock, status: 'completed', expectation: null, warnings }, [
    event('FailoverCompleted', {
      run: runBlock,
      plan: dr.plan,
      direction: dr.direction,
      mode: dr.mode,
      resources,
      keptSnapshots,
      warnings,
      durationMs: elapsedMs(ctx, run),
    }),
  ]);
}

async function report(ctx: ServiceContext, run: RunRecord, reason: string, errorCode?: string) {
  const dr = run.dr!;
  const { layerOf } = layout(ctx, run);
  const failedLayer = layerOf[run.expectation?.phase?.index ?? 0] ?? 0;
  const seen = await outcomes(ctx, run, failedLayer);
  const rolledBack = errorCode === 'SwitchoverRolledBack';
  if (rolledBack) {
    for (const o of seen) {
      if (o.type === 'aurora-global' && o.outcome === 'not-moved' && reason.includes(o.id))
        o.outcome = 'rolled-back';
    }
  }
  const context = drContext(ctx, run);
  const entries = dr.layers.flatMap((layer, l) => layer.resources.map((r) => ({ l, r })));
  const commands = entries
    .map(({ r }, i) => ({ r, o: seen[i]! }))
    .filter(({ o }) => o.outcome !== 'moved')
    .map(({ r, o }) =>
      o.outcome === 'in-progress'
        ? `${o.type} ${o.id} is still moving: wait for it (rewind dr check --plan ${dr.plan})`
        : adapterOf(r).command(context, r),
    );
  const again = `rewind ${dr.direction} --plan ${dr.plan}${dr.mode === 'unplanned' ? ' --unplanned' : ''}`;
  const action = [
    `Each resource not moved, by hand: ${commands.join(' ; ')}`,
    `or fix the cause and run again: ${again} (resources already moved are passed over)`,
    `the run's timeline: rewind status ${run.runId}`,
  ].join('. ');
  const runBlock = { ...run.run, next: null };
  ctx.log.warn('DR run failed', { runId: run.runId, reason, errorCode, failedLayer: failedLayer + 1 });
  await commit(
    ctx,
    run,
    {
      run: runBlock,
      status: 'failed',
      expectation: null,
      failure: { step: run.run.next!, reason, errorCode },
    },
    [
      event('FailoverFailed', {
        run: runBlock,
        plan: dr.plan,
        direction: dr.direction,
        mode: dr.mode,
        failedLayer: failedLayer + 1,
        reason,
        errorCode,
        resources: seen,
        rolledBack,
        action,
        durationMs: elapsedMs(ctx, run),
      }),
    ],
  );
}

function drStep(step: 'failover' | 'failback'): DefinedStep {
  return defineStep({
    step,
    role: 'whole-run',
    target: 'primary in its target region',
    deadlineSeconds: (ctx) => ctx.config.wait.deadlines.failover,
    phases: (ctx, run) => layout(ctx, run).phases,
    complete,
    report,
  });
}

export const failoverStep = drStep('failover');
export const failbackStep = drStep('failback');
