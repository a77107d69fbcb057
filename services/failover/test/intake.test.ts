import { ENV, idempotencyKey } from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import fc from 'fast-check';
import { intake } from '../src/intake';
import { drWorld, PLAN_LAYERS } from './drWorld';

const bed = useServiceTestBed();
let world: ReturnType<typeof drWorld>;
beforeEach(() => {
  world = drWorld(bed.rds);
});
afterEach(() => {
  world.cache.restore();
  world.cloudWatch.restore();
});

// The deployment's plans, as the configuration file's drPlans section sets them.
const savedPlans = process.env[ENV.drPlans];
beforeAll(() => {
  process.env[ENV.drPlans] = JSON.stringify({
    failover: 'to-west',
    plans: { 'to-west': { layers: PLAN_LAYERS } },
  });
});
afterAll(() => {
  if (savedPlans === undefined) delete process.env[ENV.drPlans];
  else process.env[ENV.drPlans] = savedPlans;
});

let n = 0;
const envelope = () => ({
  id: `evt-dr-fuzz-${++n}`,
  'detail-type': 'FailoverRequested',
  source: 'my.team',
  detail: {},
});
const ANSWERS = new Set(['FailoverStarted', 'FailoverRejected']);
const answers = () => bed.published().filter((e) => ANSWERS.has(e.type));
/** The run ends: its locks are released (as its terminal write does). */
async function endRun(runId: string) {
  const run = (await bed.store.getRun(runId))!;
  await Promise.all(run.locks!.map((l) => bed.store.releaseLock(l.kind, l.identifier, runId, l.scope)));
}

describe('requestId: never consumed by a refusal', () => {
  test('a request refused because a resource of the plan is busy, sent again with the same requestId once it is free, is accepted', async () => {
    const ctx = testContext('failover', bed.store);
    const cache = { layers: [PLAN_LAYERS[1]], mode: 'unplanned' };
    await intake({ ...cache, requestId: 'busy-first' }, envelope(), ctx);
    const [first] = answers();
    expect(first?.type).toBe('FailoverStarted');
    await intake({ ...cache, requestId: 'busy-retry' }, envelope(), ctx);
    const refused = answers()[1]!;
    expect(refused.detail).toMatchObject({ code: 'already-running', requestId: 'busy-retry' });
    expect(refused.detail.reason).toContain(`by run ${first!.detail.run.id}`);
    expect(await bed.store.claimedRunId(idempotencyKey.dr('busy-retry'))).toBeUndefined();
    // The first run ends (its locks released); the same request again is a new one.
    await endRun(first!.detail.run.id);
    await intake({ ...cache, requestId: 'busy-retry' }, envelope(), ctx);
    const retried = answers()[2]!;
    expect(retried).toMatchObject({ type: 'FailoverStarted', detail: { requestId: 'busy-retry' } });
    expect(await bed.store.claimedRunId(idempotencyKey.dr('busy-retry'))).toBe(retried.detail.run.id);
    await endRun(retried.detail.run.id);
  });

  test('an invalid request keeps a bounded preview and claims no requestId', async () => {
    const ctx = testContext('failover', bed.store);
    await intake({ plan: 'To West', requestId: 'bad-1', notes: 'n'.repeat(50_000) }, envelope(), ctx);
    const [answer] = answers();
    expect(answer!.detail).toMatchObject({ code: 'invalid-input' });
    expect(answer!.detail.reason).toMatch(/plan: plan is a plan name/);
    expect(answer!.detail.reason).toMatch(/notes/);
    const run = await bed.store.getRun(answer!.detail.runId);
    expect(run).toMatchObject({ status: 'rejected', request: { invalid: true } });
    expect(String(run!.request.preview).length).toBeLessThanOrEqual(1003);
    expect(await bed.store.claimedRunId(idempotencyKey.dr('bad-1'))).toBeUndefined();
  });
});

test('a plan too large for its run to record, or a key id too long, is refused with what to change (never retried into the DLQ)', async () => {
  const ctx = testContext('failover', bed.store);
  const replica = PLAN_LAYERS[0]!.resources[1]!;
  const tooWide = {
    layers: [{ resources: Array.from({ length: 3000 }, (_, i) => ({ ...replica, replicaId: `r-${i}` })) }],
  };
  const tooDeep = { layers: Array.from({ length: 11 }, () => ({ resources: [replica] })) };
  const longKey = { layers: [{ resources: [{ ...replica, kmsKeyId: 'k'.repeat(300_000) }] }] };
  for (const request of [tooWide, tooDeep, longKey]) await intake(request, envelope(), ctx);
  expect(answers().map((a) => [a.detail.code, a.detail.reason.match(/at most [^:]*: [^;.]*/)?.[0]])).toEqual([
    ['invalid-input', 'at most 25 resources: split it into layers'],
    ['invalid-input', 'at most 10 layers: split it into plans'],
    ['invalid-input', 'at most 2048 characters: a KMS key ARN, alias or id'],
  ]);
});

describe('DR intake answers every request, whatever it contains', () => {
  // Values that broke intakes before: over DynamoDB's item size and EventBridge's entry size, beyond the
  // marshaller's numbers, named like JavaScript object internals, outside the Basic Multilingual Plane.
  const hostileValue = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.constantFrom(
      'x'.repeat(300_000),
      2 ** 60,
      1e308,
      Number.MAX_SAFE_INTEGER + 2,
      '😀'.repeat(1000),
      '\u0000',
      'constructor',
      '__proto__',
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}}'),
      [],
      null,
    ),
  );
  const key = fc.oneof(
    fc.constantFrom(
      'plan',
      'layers',
      'mode',
      'direction',
      'requestId',
      'requestedBy',
      '__proto__',
      'constructor',
      'toString',
      'x'.repeat(300_000),
    ),
    fc.string({ maxLength: 20 }),
  );
  // The plan's resources, and well-formed ones that do not exist.
  const resource = fc.constantFrom<Record<string, unknown>>(
    ...PLAN_LAYERS.flatMap((l): Record<string, unknown>[] => l.resources),
    {
      type: 'rds-replica',
      replicaId: 'ghost-replica',
      replicaRegion: 'us-west-2',
      sourceRegion: 'us-east-1',
    },
    {
      type: 'aurora-global',
      globalClusterId: 'ghost-global',
      targetClusterId: 'ghost-west',
      targetRegion: 'us-west-2',
    },
  );
  /** A resource of the plan with one field replaced (or added). */
  const hostileResource = fc
    .tuple(
      resource,
      fc.oneof(
        key,
        fc.constantFrom(
          'type',
          'replicaId',
          'globalClusterId',
          'targetRegion',
          'kmsKeyId',
          'maxLagSeconds',
          'account',
        ),
      ),
      hostileValue,
    )
    .map(([r, k, v]) => JSON.parse(JSON.stringify({ ...r, [k]: v }) ?? '{}') as unknown);
  const hostileRequest = fc.oneof(
    // A valid request now and then: the first is accepted (and holds the locks), the rest are answered too.
    fc.constant({ layers: [PLAN_LAYERS[1]], requestId: 'fuzz-valid' }),
    fc.constantFrom({ plan: 'to-west', mode: 'unplanned' }, { plan: 'nowhere' }, { plan: 'constructor' }),
    fc.dictionary(key, hostileValue, { maxKeys: 6 }),
    // Mostly valid requests with one field replaced.
    fc
      .record({
        plan: fc.option(fc.oneof(fc.constantFrom('to-west', 'constructor', 'nowhere'), fc.string()), {
          nil: undefined,
        }),
        mode: fc.constantFrom('planned', 'unplanned'),
        direction: fc.constantFrom('failover', 'failback'),
        requestId: fc.option(fc.oneof(fc.constant('dr-1'), fc.string({ maxLength: 200 })), {
          nil: undefined,
        }),
      })
      .chain((base) => fc.tuple(fc.constant(base), key, hostileValue))
      .map(([base, k, v]) => JSON.parse(JSON.stringify({ ...base, [k]: v }) ?? '{}') as unknown),
    // Ad-hoc plans whose resources are hostile.
    fc
      .array(fc.array(fc.oneof(resource, hostileResource), { minLength: 1, maxLength: 3 }), {
        minLength: 1,
        maxLength: 3,
      })
      .map((layers) => ({ layers: layers.map((resources) => ({ resources })), mode: 'unplanned' })),
    hostileValue,
  );

  test('600 generated requests: each answered once (FailoverStarted, or FailoverRejected with a bounded reason); none throws', async () => {
    const ctx = testContext('failover', bed.store);
    const seen = { started: 0, rejected: new Map<string, number>() };
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (raw) => {
        bed.eb.resetHistory();
        await intake(raw, envelope(), ctx);
        const out = answers();
        expect(out).toHaveLength(1);
        if (out[0]!.type === 'FailoverRejected') {
          const { code, reason } = out[0]!.detail;
          seen.rejected.set(code, (seen.rejected.get(code) ?? 0) + 1);
          expect(reason).toEqual(expect.any(String));
          expect(reason.length).toBeGreaterThan(10);
          // What the rejection says and keeps of the request is bounded, never the request itself.
          expect(JSON.stringify(out[0]!.detail).length).toBeLessThan(8000);
          const run = await bed.store.getRun(out[0]!.detail.runId);
          expect(JSON.stringify(run).length).toBeLessThan(16_000);
        } else seen.started++;
      }),
      { numRuns: 600 },
    );
    // The generator reaches every answer: runs started, and each kind of refusal.
    expect(seen.started).toBeGreaterThanOrEqual(1);
    expect([...seen.rejected.keys()].sort()).toEqual([
      'already-running',
      'invalid-input',
      'not-ready',
      'unknown-plan',
    ]);
    expect(seen.rejected.get('invalid-input')).toBeGreaterThan(300);
  }, 120_000);
});
