import {
  acquireLocks,
  event,
  idempotencyKey,
  IntakeRefusal,
  invalidRequest,
  requestIntake,
  startRun,
  type EventDetail,
  type IntakeSpec,
  type Rejected,
  type RunRecord,
} from '../src';
import { testContext } from '../src/testing/context';
import { useServiceTestBed } from '../src/testing/serviceTestBed';

/**
 * The shared answering intake, with a small service plugged in (FailoverRequested; the checks say what
 * each test needs): every request answered once, refusals recorded and published, requestId keys held by
 * accepted runs only, locks all or none.
 */

const bed = useServiceTestBed();
type Request = EventDetail<'FailoverRequested'>;
type Code = EventDetail<'FailoverRejected'>['code'];
class Refusal extends IntakeRefusal<Code> {}

/** What the plugged-in checks do next: accept, refuse, or fail (a dependency down). */
let checks: 'accept' | 'refuse' | 'fail';
let accepted: string[];
let repeats: string[];
let refuseRepeats: boolean;
beforeEach(() => {
  checks = 'accept';
  accepted = [];
  repeats = [];
  refuseRepeats = false;
});

/** What every run of this service says of itself. */
const own = { identifier: 'test-plan', kind: 'cluster', task: 'failover', strategy: 'planned' } as const;
const block = (runId: string, next: boolean) => {
  const run = startRun({ id: runId, ...own, plan: ['failover'] });
  return next ? run : { ...run, next: null };
};

const spec: IntakeSpec<'FailoverRequested', Refusal> = {
  event: 'FailoverRequested',
  expected: 'Expected {"plan": "<name>"}',
  refusal: Refusal,
  requestKey: (req) => (req.requestId ? idempotencyKey.dr(req.requestId) : undefined),
  repeated: async (ctx, req, earlier) => {
    repeats.push(`${req.requestId} -> ${earlier.runId} (${earlier.status})`);
    if (refuseRepeats) throw new Refusal('already-running', `requestId ${req.requestId} is taken`);
  },
  accept: async (_ctx, runId, req, envelope, now) => {
    if (checks === 'fail') throw new Error('DescribeGlobalClusters: throttled');
    if (checks === 'refuse') throw new Refusal('not-ready', 'orders-west is not replicating: wait for it');
    accepted.push(runId);
    const run = block(runId, true);
    return {
      runId,
      ...own,
      run,
      names: {},
      warnings: [],
      resources: {},
      status: 'running',
      requestId: req.requestId,
      request: { ...req, source: envelope.source },
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      outbox: [
        {
          ...event('FailoverStarted', {
            run,
            plan: 'test-plan',
            direction: 'failover',
            mode: 'planned',
            requestId: req.requestId,
            layers: [],
            startedAt: now.toISOString(),
          }),
          at: now.toISOString(),
        },
      ],
    };
  },
  rejected: (runId, { req, invalid }: Rejected<Request>, refusal) => ({
    ...own,
    run: block(runId, false),
    request: req ? { ...req } : { invalid: true, preview: invalid.preview, plan: invalid.text('plan', 10) },
    requestId: req?.requestId,
    answer: event('FailoverRejected', {
      runId,
      plan: req?.plan ?? invalid?.text('plan', 40),
      requestId: req?.requestId,
      code: refusal.code,
      reason: refusal.message,
    }),
  }),
};

const intake = requestIntake(spec);
let n = 0;
const envelope = () => ({
  id: `evt-shared-${++n}`,
  'detail-type': 'FailoverRequested',
  source: 'test',
  detail: {},
});
const answers = () =>
  bed.published().filter((e) => e.type === 'FailoverStarted' || e.type === 'FailoverRejected');
const ctx = () => testContext('failover', bed.store);
const runOf = async (answer: { detail: { runId?: string; run?: { id: string } } }) =>
  (await bed.store.getRun(answer.detail.runId ?? answer.detail.run!.id)) as RunRecord;

test('the same event delivered twice is answered once: the checks run once, one answer', async () => {
  const e = envelope();
  await intake({ plan: 'test-plan' }, e, ctx());
  await intake({ plan: 'test-plan' }, e, ctx());
  expect(accepted).toHaveLength(1);
  expect(answers().map((a) => a.type)).toEqual(['FailoverStarted']);
  expect(await bed.store.claimedRunId(idempotencyKey.event(e.id))).toBe(accepted[0]);
  // The request is on the run's timeline, as received.
  const timeline = await bed.store.getTimeline(accepted[0]!);
  expect(timeline.find((t) => t.direction === 'in')).toMatchObject({
    type: 'FailoverRequested',
    detail: { plan: 'test-plan' },
    source: 'test',
  });
});

test('an invalid request is rejected with the contract messages (bounded), what is expected, and a bounded preview', async () => {
  const raw = { plan: 'Bad Plan', requestId: 'r-1', ['k'.repeat(5000)]: 'x'.repeat(50_000) };
  await intake(raw, envelope(), ctx());
  const [answer] = answers();
  expect(answer).toMatchObject({ type: 'FailoverRejected', detail: { code: 'invalid-input' } });
  const reason: string = answer!.detail.reason;
  expect(reason).toMatch(/^Invalid FailoverRequested: plan: plan is a plan name/);
  expect(reason).toMatch(/\.\.\. \(\d+ more characters\)\. Expected \{"plan": "<name>"\}$/);
  expect(reason.length).toBeLessThan(1600);
  const run = await runOf(answer!);
  expect(run).toMatchObject({
    status: 'rejected',
    rejection: { code: 'invalid-input', reason },
    request: { invalid: true, plan: 'Bad Plan' },
  });
  expect(run.request.preview).toHaveLength(1003);
  expect(String(run.request.preview).endsWith('...')).toBe(true);
  // An invalid request claims no requestId, and the checks never saw it.
  expect(await bed.store.claimedRunId(idempotencyKey.dr('r-1'))).toBeUndefined();
  expect(accepted).toEqual([]);
});

test('what a rejection keeps of an invalid request: own fields only, typed, cut to size', () => {
  const hostile = JSON.parse('{"__proto__": {"plan": "polluted"}, "plan": 7, "isCluster": "yes"}');
  expect([invalidRequest(hostile).text('plan', 10), invalidRequest(hostile).flag('isCluster')]).toEqual([
    undefined,
    undefined,
  ]);
  const fine = invalidRequest({ plan: 'abcdefghijklmnop', isCluster: true, blank: '' });
  expect([fine.text('plan', 4), fine.flag('isCluster'), fine.text('blank', 9)]).toEqual([
    'abcd',
    true,
    undefined,
  ]);
  expect(invalidRequest(undefined).preview).toBe('undefined');
  expect(invalidRequest('short').preview).toBe('"short"');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(invalidRequest(cyclic).preview).toBe('[object Object]');
});

test("a refusal by the service's checks is recorded and published, and releases the requestId", async () => {
  checks = 'refuse';
  await intake({ plan: 'test-plan', requestId: 'fix-me' }, envelope(), ctx());
  const [answer] = answers();
  expect(answer).toMatchObject({
    type: 'FailoverRejected',
    detail: { code: 'not-ready', reason: 'orders-west is not replicating: wait for it', requestId: 'fix-me' },
  });
  const run = await runOf(answer!);
  expect(run).toMatchObject({ status: 'rejected', request: { plan: 'test-plan', requestId: 'fix-me' } });
  expect(run.outbox ?? []).toEqual([]); // published
  expect(await bed.store.claimedRunId(idempotencyKey.dr('fix-me'))).toBeUndefined();
  // Once fixed, the same request is a new one.
  checks = 'accept';
  await intake({ plan: 'test-plan', requestId: 'fix-me' }, envelope(), ctx());
  expect(answers().map((a) => a.type)).toEqual(['FailoverRejected', 'FailoverStarted']);
  expect(await bed.store.claimedRunId(idempotencyKey.dr('fix-me'))).toBe(accepted[0]);
});

test('a repeated requestId is answered by the service with the earlier run, and its event maps to that run', async () => {
  await intake({ plan: 'test-plan', requestId: 'once' }, envelope(), ctx());
  const second = envelope();
  await intake({ plan: 'test-plan', requestId: 'once' }, second, ctx());
  expect(accepted).toHaveLength(1);
  expect(repeats).toEqual([`once -> ${accepted[0]} (running)`]);
  expect(await bed.store.claimedRunId(idempotencyKey.event(second.id))).toBe(accepted[0]);
  expect(answers().map((a) => a.type)).toEqual(['FailoverStarted']);
});

test('a repeated requestId the service refuses is rejected; the key stays with the run that holds it', async () => {
  refuseRepeats = true;
  await intake({ plan: 'test-plan', requestId: 'taken' }, envelope(), ctx());
  await intake({ plan: 'test-plan', requestId: 'taken' }, envelope(), ctx());
  expect(answers().map((a) => [a.type, a.detail.code])).toEqual([
    ['FailoverStarted', undefined],
    ['FailoverRejected', 'already-running'],
  ]);
  expect(await bed.store.claimedRunId(idempotencyKey.dr('taken'))).toBe(accepted[0]);
});

test('a requestId held by a rejected run (its release was lost) is given up: the request is accepted', async () => {
  checks = 'refuse';
  await intake({ plan: 'test-plan', requestId: 'lost' }, envelope(), ctx());
  const rejectedRunId = answers()[0]!.detail.runId as string;
  // As if the release after the rejection had not happened.
  await bed.store.claimRequestId(idempotencyKey.dr('lost'), rejectedRunId);
  checks = 'accept';
  await intake({ plan: 'test-plan', requestId: 'lost' }, envelope(), ctx());
  expect(repeats).toEqual([]);
  expect(answers().map((a) => a.type)).toEqual(['FailoverRejected', 'FailoverStarted']);
  expect(await bed.store.claimedRunId(idempotencyKey.dr('lost'))).toBe(accepted[0]);
});

test('a requestId held by a run not written yet: waited for, then the message is retried (nothing answered)', async () => {
  await bed.store.claimRequestId(idempotencyKey.dr('racing'), 'run-being-written');
  await expect(intake({ plan: 'test-plan', requestId: 'racing' }, envelope(), ctx())).rejects.toThrow(
    /request racing \(dr:racing\) is held by run run-being-written, which is not written yet; retrying/,
  );
  expect(answers()).toEqual([]);
  expect(accepted).toEqual([]);
});

test('any other error is not an answer: it propagates (the message is retried), nothing is written', async () => {
  checks = 'fail';
  const e = envelope();
  await expect(intake({ plan: 'test-plan', requestId: 'flaky' }, e, ctx())).rejects.toThrow(/throttled/);
  expect(answers()).toEqual([]);
  const runId = (await bed.store.claimedRunId(idempotencyKey.event(e.id)))!;
  expect(await bed.store.getRun(runId)).toBeUndefined();
  // The retry of the same message is answered.
  checks = 'accept';
  await intake({ plan: 'test-plan', requestId: 'flaky' }, e, ctx());
  expect(accepted).toEqual([runId]);
});

describe('acquireLocks', () => {
  const refs = [
    { kind: 'global-cluster' as const, identifier: 'lock-global', scope: '' },
    { kind: 'cluster' as const, identifier: 'lock-west', scope: '000000000000:us-west-2#' },
  ];
  const held = (holder: string | undefined) => new Refusal('already-running', `held by ${holder}`);

  test('all or none: a lock another run holds releases the ones taken and refuses, naming that run', async () => {
    const now = new Date();
    await bed.store.acquireLock('cluster', 'lock-west', 'run-other', now, '000000000000:us-west-2#');
    await expect(acquireLocks(ctx(), 'run-mine', refs, now, held)).rejects.toThrow(
      new Refusal('already-running', 'held by run-other'),
    );
    expect(await bed.store.getLock('global-cluster', 'lock-global')).toBeUndefined();
    // Once the other run is done, every lock is taken.
    await bed.store.releaseLock('cluster', 'lock-west', 'run-other', '000000000000:us-west-2#');
    await acquireLocks(ctx(), 'run-mine', refs, now, held);
    expect(await bed.store.getLock('global-cluster', 'lock-global')).toMatchObject({ runId: 'run-mine' });
    expect(await bed.store.getLock('cluster', 'lock-west', '000000000000:us-west-2#')).toMatchObject({
      runId: 'run-mine',
    });
  });
});
