import {
  addressScope,
  choosePlan,
  ENV,
  event,
  flushOutbox,
  idempotencyKey,
  LockHeldError,
  newRunId,
  parseDrPlans,
  parseEvent,
  publishCreated,
  StaleWriteError,
  startRun,
  type DrLayer,
  type DrPlansSection,
  type Envelope,
  type EventDetail,
  type LockRef,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { checkReadiness, notReadyLines } from './readiness';
import { adapterOf } from './resources';

/**
 * Intake of `FailoverRequested`: validate, find the plan (named in the configuration, or ad hoc in the
 * request), look at every resource (a planned move refuses to start unless every resource is ready, and
 * says why), lock every resource address, write the run and publish `FailoverStarted`. Every request is
 * answered: `FailoverStarted` or `FailoverRejected` with the reason; the same event delivered twice is
 * answered once, and a repeated requestId starts nothing new.
 */

type Request = EventDetail<'FailoverRequested'>;
type Code = EventDetail<'FailoverRejected'>['code'];
type NotReady = NonNullable<EventDetail<'FailoverRejected'>['notReady']>;

class Refusal extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly notReady?: NotReady,
  ) {
    super(message);
  }
}

/** The deployment's plans (REWIND_DR_PLANS: the configuration file's `drPlans` section as JSON). */
export function deploymentPlans(env: NodeJS.ProcessEnv = process.env): DrPlansSection {
  const raw = env[ENV.drPlans];
  if (!raw) return { plans: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Refusal(
      'unknown-plan',
      `${ENV.drPlans} is not JSON; the deployment sets it from the configuration file's drPlans section: redeploy`,
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
  const held: LockRef[] = [];
  try {
    for (const ref of refs) {
      await ctx.store.acquireLock(ref.kind, ref.identifier, runId, now, ref.scope);
      held.push(ref);
    }
  } catch (err) {
    await Promise.all(held.map((h) => ctx.store.releaseLock(h.kind, h.identifier, runId, h.scope)));
    if (err instanceof LockHeldError) {
      throw new Refusal(
        'already-running',
        `a resource of the plan is already being moved or restored by run ${err.holderRunId}; wait for it to finish (rewind status ${err.holderRunId})`,
      );
    }
    throw err;
  }
  return refs;
}

async function createOrFlush(ctx: ServiceContext, record: Omit<RunRecord, 'version'>) {
  try {
    await publishCreated(ctx, await ctx.store.createRun(record));
  } catch (err) {
    if (!(err instanceof StaleWriteError)) throw err;
    const existing = await ctx.store.getRun(record.runId);
    if (existing) await flushOutbox(ctx, existing);
  }
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

async function reject(
  ctx: ServiceContext,
  runId: string,
  raw: unknown,
  req: Request | undefined,
  refusal: Refusal,
  now: Date,
) {
  const name = req?.plan ?? (req?.layers ? 'ad-hoc' : '(invalid)');
  const direction = req?.direction ?? 'failover';
  const mode = req?.mode ?? 'planned';
  const run = block(runId, /^[a-z][a-z0-9-]*$/.test(name) ? name : 'invalid', { direction, mode }, false);
  const preview = JSON.stringify(raw) ?? String(raw);
  await createOrFlush(ctx, {
    runId,
    identifier: run.identifier,
    kind: run.kind,
    task: direction,
    strategy: mode,
    run,
    status: 'rejected',
    request: req ? { ...req } : { invalid: true, preview: preview.slice(0, 1000) },
    requestId: req?.requestId,
    names: {},
    warnings: [],
    resources: {},
    rejection: { code: refusal.code, reason: refusal.message },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    outbox: [
      {
        ...event('FailoverRejected', {
          runId,
          plan: req?.plan,
          requestId: req?.requestId,
          code: refusal.code,
          reason: refusal.message,
          notReady: refusal.notReady,
        }),
        at: now.toISOString(),
      },
    ],
  });
}

async function accept(ctx: ServiceContext, runId: string, req: Request, envelope: Envelope, now: Date) {
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
  await Promise.all([
    ctx.store.appendLog({
      runId,
      at: now.toISOString(),
      direction: 'in',
      type: 'FailoverRequested',
      detail: req,
      source: envelope.source,
    }),
    createOrFlush(ctx, {
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
    }),
  ]);
}

export async function intake(raw: unknown, envelope: Envelope, ctx: ServiceContext): Promise<void> {
  const now = ctx.now();
  const eventKey = idempotencyKey.event(envelope.id);
  const runId = await ctx.store.claimRequestId(eventKey, newRunId(now), now);
  const log = ctx.log.child({ runId });
  const answered = await ctx.store.getRun(runId);
  if (answered) {
    log.info('the same failover request event again: already answered', { status: answered.status });
    await flushOutbox(ctx, answered);
    return;
  }
  const parsed = parseEvent('FailoverRequested', raw);
  if (!parsed.ok) {
    const refusal = new Refusal(
      'invalid-input',
      `${parsed.message}. Expected {"plan": "<name>", "mode": "planned|unplanned", "direction": "failover|failback"}`,
    );
    log.warn('failover request rejected', { code: refusal.code, reason: refusal.message });
    await reject(ctx, runId, raw, undefined, refusal, now);
    return;
  }
  const req = parsed.value;
  const requestKey = req.requestId ? `dr:${req.requestId}` : undefined;
  try {
    if (requestKey) {
      const holder = await ctx.store.claimRequestId(requestKey, runId, now);
      if (holder !== runId) {
        const earlier = await ctx.store.getRun(holder);
        throw new Refusal(
          'already-running',
          `requestId ${req.requestId} already started run ${holder}${earlier ? ` (${earlier.status})` : ''}; nothing new is started: rewind status ${holder}`,
        );
      }
    }
    await accept(ctx, runId, req, envelope, now);
    log.info('DR run started', { plan: req.plan, direction: req.direction, mode: req.mode });
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    log.warn('failover request rejected', { code: err.code, reason: err.message });
    await reject(ctx, runId, raw, req, err, now);
    if (requestKey && err.code !== 'already-running') await ctx.store.releaseKey(requestKey, runId);
  }
}
