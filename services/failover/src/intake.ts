import {
  decodeJsonEnv,
  acquireLocks,
  addressScope,
  choosePlan,
  ENV,
  event,
  idempotencyKey,
  IntakeRefusal,
  parseDrPlans,
  requestIntake,
  startRun,
  type DrLayer,
  type DrPlansSection,
  type EventDetail,
  type LockRef,
  type IntakeSpec,
  type Rejected,
  type RejectedRun,
  type ServiceContext,
} from '@rewind/shared';
import { checkReadiness, notReadyLines } from './readiness';
import { adapterOf } from './resources';

type Request = EventDetail<'FailoverRequested'>;
type Code = EventDetail<'FailoverRejected'>['code'];
type NotReady = NonNullable<EventDetail<'FailoverRejected'>['notReady']>;

class Refusal extends IntakeRefusal<Code> {
  constructor(
    code: Code,
    message: string,
    readonly notReady?: NotReady,
  ) {
    super(code, message);
  }
}

/** The deployment's plans (REWIND_DR_PLANS: the configuration file's `drPlans` section as JSON, gzipped when large). */
export function deploymentPlans(env: NodeJS.ProcessEnv = process.env): DrPlansSection {
  const raw = env[ENV.drPlans];
  if (!raw) return { plans: {} };
  let json: unknown;
  try {
    json = decodeJsonEnv(ENV.drPlans, raw);
  } catch (err) {
    throw new Refusal(
      'unknown-plan',
      `${(err as Error).message} (the deployment sets it from the configuration file's drPlans section)`,
    );
  }
  return parseDrPlans(json);
}

function resolvePlan(req: Request): { name: string; layers: DrLayer[] } {
  if (req.layers) return { name: req.plan ?? 'ad-hoc', layers: req.layers };
  try {
    const { name, plan } = choosePlan(deploymentPlans(), req.direction, req.plan);
    return { name, layers: plan.layers };
  } catch (err) {
    if (err instanceof Refusal) throw err;
    if (err instanceof Error && err.name === 'DrPlanError') throw new Refusal('unknown-plan', err.message);
    throw err;
  }
}

async function lockAll(ctx: ServiceContext, runId: string, layers: DrLayer[], now: Date): Promise<LockRef[]> {
  const home = ctx.config.home;
  const account = home?.account ?? '000000000000';
  const refs: LockRef[] = [];
  for (const r of layers.flatMap((l) => l.resources)) {
    const adapter = adapterOf(r);
    for (const a of [adapter.address(r), ...(adapter.alsoLocks?.(r) ?? [])]) {
      // A global cluster or datastore spans regions: locked once per account, whatever the target.
      const global = a.kind === 'global-cluster' || a.kind === 'global-replication-group';
      const region = global ? (home?.region ?? a.region) : a.region;
      refs.push({
        kind: a.kind,
        identifier: a.id,
        scope: addressScope({ account: r.account ?? account, region }, home),
      });
    }
  }
  await acquireLocks(
    ctx,
    runId,
    refs,
    now,
    (holder) =>
      new Refusal(
        'already-running',
        `a resource of the plan is already being moved or restored by run ${holder}; wait for it to finish (rewind status ${holder})`,
      ),
  );
  return refs;
}

function block(runId: string, name: string, req: Pick<Request, 'direction' | 'mode'>, next: boolean) {
  const run = startRun({
    id: runId,
    identifier: name,
    // A DR run moves several resources of several kinds: the block names its plan.
    kind: 'cluster',
    task: req.direction,
    strategy: req.mode,
    plan: [req.direction],
  });
  return next ? run : { ...run, next: null };
}

function rejected(runId: string, { req, invalid }: Rejected<Request>, refusal: Refusal): RejectedRun {
  const name = req?.plan ?? (req?.layers ? 'ad-hoc' : '(invalid)');
  const direction = req?.direction ?? 'failover';
  const mode = req?.mode ?? 'planned';
  const run = block(runId, /^[a-z][a-z0-9-]*$/.test(name) ? name : 'invalid', { direction, mode }, false);
  return {
    identifier: run.identifier,
    kind: run.kind,
    task: direction,
    strategy: mode,
    run,
    request: req ? { ...req } : { invalid: true, preview: invalid.preview },
    requestId: req?.requestId,
    answer: event('FailoverRejected', {
      runId,
      plan: req?.plan,
      requestId: req?.requestId,
      code: refusal.code,
      reason: refusal.message,
      notReady: refusal.notReady,
    }),
  };
}

const accept: IntakeSpec<'FailoverRequested', Refusal>['accept'] = async (ctx, runId, req, envelope, now) => {
  const { name, layers } = resolvePlan(req);
  const readiness = await checkReadiness(ctx, layers, req.direction, req.mode);
  if (!readiness.ready) {
    const lines = notReadyLines(readiness);
    throw new Refusal(
      'not-ready',
      `not ready for a ${req.mode} ${req.direction}: ${lines.join(' | ')}. Check with rewind dr check --plan ${name}${
        req.mode === 'planned'
          ? `; if the primary region is down, rewind ${req.direction} --plan ${name} --unplanned`
          : ''
      }`,
      readiness.resources
        .filter((r) => r.inspection.problems.length)
        .map((r) => ({
          layer: r.layer,
          type: r.type,
          id: r.id,
          region: r.region,
          reason: r.inspection.problems.join('; '),
        })),
    );
  }
  const locks = await lockAll(ctx, runId, layers, now);
  const run = block(runId, name, req, true);
  const refs = (layer: DrLayer, l: number) =>
    layer.resources.map((r) => {
      const a = adapterOf(r).address(r);
      return { layer: l + 1, type: r.type, id: a.id, region: a.region };
    });
  return {
    runId,
    identifier: name,
    kind: run.kind,
    task: req.direction,
    strategy: req.mode,
    run,
    status: 'running',
    request: { ...req, source: envelope.source },
    requestId: req.requestId,
    names: {},
    warnings: [],
    resources: {},
    locks,
    dr: {
      plan: name,
      direction: req.direction,
      mode: req.mode,
      layers,
      origins: readiness.origins,
      requestedBy: req.requestedBy,
    },
    expectation: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    outbox: [
      {
        ...event('FailoverStarted', {
          run,
          plan: name,
          direction: req.direction,
          mode: req.mode,
          requestId: req.requestId,
          layers: layers.map((layer, l) => ({
            name: layer.name ?? `layer ${l + 1}`,
            resources: refs(layer, l),
          })),
          startedAt: now.toISOString(),
        }),
        at: now.toISOString(),
      },
    ],
  };
};

/**
 * Intake of `FailoverRequested` (the shared `requestIntake` answers it): `FailoverStarted`, or
 * `FailoverRejected` with the reason. A repeated requestId (one per deployment) starts nothing new: it is
 * refused, naming the run the earlier request started.
 */
export const intake = requestIntake({
  event: 'FailoverRequested',
  expected: 'Expected {"plan": "<name>", "mode": "planned|unplanned", "direction": "failover|failback"}',
  refusal: Refusal,
  requestKey: (req) => (req.requestId ? idempotencyKey.dr(req.requestId) : undefined),
  repeated: (_ctx, req, earlier) => {
    throw new Refusal(
      'already-running',
      `requestId ${req.requestId} already started run ${earlier.runId} (${earlier.status}); nothing new is started: rewind status ${earlier.runId}`,
    );
  },
  accept,
  rejected,
});
