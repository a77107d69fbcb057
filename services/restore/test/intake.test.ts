import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { idempotencyKey } from '@rewind/shared';
import { requestEnvelope, useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture } from '@rewind/shared/src/testing/fixtures';
import fc from 'fast-check';
import { intake } from '../src/intake';

const bed = useServiceTestBed();
const { rds, eb } = bed;

const envelope = () => requestEnvelope();
const published = bed.published;
const ANSWERS = new Set(['RunStarted', 'RestoreRejected', 'RequestRepeated']);
const answers = () => published().filter((e) => ANSWERS.has(e.type));

/** Status overrides of known instances (default: available). */
const statusOf = new Map<string, string>();

/** RDS knows the instances named here (opted in, available unless `statusOf` says); any other name is not found. */
function knownInstances(...names: string[]) {
  statusOf.clear();
  rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
  rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    const name = input.DBInstanceIdentifier ?? '';
    if (names.includes(name)) {
      return {
        DBInstances: [dbInstanceFixture(name, { DBInstanceStatus: statusOf.get(name) ?? 'available' })],
      };
    }
    throw new DBInstanceNotFoundFault({
      message: `DBInstance ${input.DBInstanceIdentifier} not found`,
      $metadata: {},
    });
  });
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
}

describe('intake answers every request, whatever it contains', () => {
  // Values that broke intake before: over DynamoDB's item size, beyond the marshaller's numbers, named like
  // JavaScript object internals, outside the Basic Multilingual Plane.
  const hostileValue = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.constantFrom(
      'x'.repeat(300_000),
      2 ** 60,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      '😀'.repeat(1000),
      '\u0000',
      { __proto__: { polluted: true } },
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}}'),
      [],
      null,
    ),
  );
  const key = fc.oneof(
    fc.constantFrom(
      'identifier',
      'task',
      'isCluster',
      'snapshotIdentifier',
      'strategy',
      'requestId',
      'finalSnapshot',
      'replayOf',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
    ),
    fc.string({ maxLength: 20 }),
  );
  const hostileRequest = fc.oneof(
    // A valid request now and then: the first is accepted (and holds the lock), the rest are answered too.
    fc.constant({ identifier: 'fuzz-db', task: 'create_snapshot_only', requestId: 'fuzz-valid' }),
    fc.dictionary(key, hostileValue, { maxKeys: 8 }),
    // Mostly valid requests with one field replaced.
    fc
      .record({
        identifier: fc.oneof(fc.constant('fuzz-db'), fc.string({ maxLength: 70 })),
        task: fc.oneof(fc.constantFrom('create_snapshot', 'db_restore', 'create_snapshot_only'), fc.string()),
        requestId: fc.option(fc.oneof(fc.constant('req-1'), fc.string({ maxLength: 200 })), {
          nil: undefined,
        }),
      })
      .chain((base) => fc.tuple(fc.constant(base), key, hostileValue))
      .map(([base, k, v]) => JSON.parse(JSON.stringify({ ...base, [k]: v }) ?? '{}') as unknown),
    hostileValue,
  );

  test('thousands of generated requests: each answered once (RunStarted, RestoreRejected with a reason, or RequestRepeated); none throws', async () => {
    knownInstances('fuzz-db');
    const ctx = testContext('restore', bed.store);
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (raw) => {
        eb.resetHistory();
        await intake(raw, envelope(), ctx);
        const out = answers();
        expect(out).toHaveLength(1);
        if (out[0]!.type === 'RestoreRejected') {
          rejected++;
          expect(out[0]!.detail.reason).toEqual(expect.any(String));
          expect(out[0]!.detail.reason.length).toBeGreaterThan(10);
          // What the rejection keeps of the request is bounded, never the request itself.
          expect(JSON.stringify(out[0]!.detail).length).toBeLessThan(8000);
        } else accepted++;
      }),
      { numRuns: 2000 },
    );
    // The generator reaches every answer: mostly rejections; the first valid request for fuzz-db is
    // accepted (RunStarted), its repeats are RequestRepeated.
    expect(rejected).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

describe('requestId: scoped by database, never consumed by a rejection, every request answered', () => {
  test('the same requestId for another database starts that database its own run', async () => {
    knownInstances('scope-a-db', 'scope-b-db');
    const ctx = testContext('restore', bed.store);
    await intake(
      { identifier: 'scope-a-db', task: 'create_snapshot_only', requestId: 'nightly-1' },
      envelope(),
      ctx,
    );
    await intake(
      { identifier: 'scope-b-db', task: 'create_snapshot_only', requestId: 'nightly-1' },
      envelope(),
      ctx,
    );
    const started = answers().filter((a) => a.type === 'RunStarted');
    expect(started.map((a) => a.detail.run.identifier)).toEqual(['scope-a-db', 'scope-b-db']);
    expect(started[0]!.detail.run.id).not.toBe(started[1]!.detail.run.id);
    // An in-place run reads from and changes the same database, at this deployment's home.
    const run = await bed.store.getRun(started[0]!.detail.run.id);
    const here = { account: '000000000000', region: 'us-east-1', kind: 'instance', id: 'scope-a-db' };
    expect([run?.source, run?.target]).toEqual([here, here]);
  });

  test('a request rejected, then sent again with the same requestId once fixed, is accepted', async () => {
    knownInstances('retry-db');
    const ctx = testContext('restore', bed.store);
    const request = { identifier: 'retry-db', task: 'create_snapshot_only', requestId: 'fix-1' } as const;
    // Rejected for a cause that goes away (the database is busy): the requestId is not consumed.
    statusOf.set('retry-db', 'backing-up');
    await intake(request, envelope(), ctx);
    expect(answers().map((a) => [a.type, a.detail.code])).toEqual([['RestoreRejected', 'not-available']]);
    expect(
      await bed.store.claimedRunId(idempotencyKey.request('instance', 'retry-db', 'fix-1')),
    ).toBeUndefined();
    // The same request, unchanged, once the database is available again: accepted, and now it holds the key.
    statusOf.set('retry-db', 'available');
    await intake(request, envelope(), ctx);
    const [, started] = answers();
    expect(started).toMatchObject({ type: 'RunStarted', detail: { requestId: 'fix-1' } });
    expect(await bed.store.claimedRunId(idempotencyKey.request('instance', 'retry-db', 'fix-1'))).toBe(
      started!.detail.run.id,
    );
  });

  test('a repeat of an accepted request is answered with RequestRepeated naming the run; its event maps to that run', async () => {
    knownInstances('repeat-db');
    const ctx = testContext('restore', bed.store);
    const first = envelope();
    await intake({ identifier: 'repeat-db', task: 'create_snapshot_only', requestId: 'once' }, first, ctx);
    const runId = answers()[0]!.detail.run.id as string;
    eb.resetHistory();
    const second = envelope();
    await intake({ identifier: 'repeat-db', task: 'create_snapshot_only', requestId: 'once' }, second, ctx);
    expect(answers()).toEqual([
      {
        type: 'RequestRepeated',
        detail: expect.objectContaining({
          runId,
          identifier: 'repeat-db',
          requestId: 'once',
          status: 'running',
        }),
      },
    ]);
    expect(await bed.store.claimedRunId(idempotencyKey.event(second.id))).toBe(runId);
    expect(await bed.store.claimedRunId(idempotencyKey.event(first.id))).toBe(runId);
    // No second run, no RDS call beyond the first request's.
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });

  test('the same event delivered twice is answered once', async () => {
    knownInstances();
    const ctx = testContext('restore', bed.store);
    const e = envelope();
    await intake({ identifier: 'nowhere-db', task: 'create_snapshot_only' }, e, ctx);
    await intake({ identifier: 'nowhere-db', task: 'create_snapshot_only' }, e, ctx);
    expect(answers().map((a) => a.type)).toEqual(['RestoreRejected']);
  });

  test('an invalid request keeps a bounded preview, its own requestId and identifier, and claims no requestId', async () => {
    knownInstances();
    const ctx = testContext('restore', bed.store);
    const e = envelope();
    await intake(
      { identifier: 'orders-db', task: 'restore_all', requestId: 'bad-1', notes: 'n'.repeat(50_000) },
      e,
      ctx,
    );
    const [answer] = answers();
    expect(answer!.detail).toMatchObject({
      code: 'invalid-input',
      identifier: 'orders-db',
      requestId: 'bad-1',
    });
    expect(answer!.detail.reason).toMatch(/task: task must be one of/);
    expect(answer!.detail.request.preview.length).toBeLessThanOrEqual(1003);
    const run = await bed.store.getRun(answer!.detail.runId);
    expect(run).toMatchObject({ status: 'rejected', request: { invalid: true } });
    expect(
      await bed.store.claimedRunId(idempotencyKey.request('instance', 'orders-db', 'bad-1')),
    ).toBeUndefined();
  });
});
