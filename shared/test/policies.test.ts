import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parsePolicyConfig,
  planRetention,
  PolicyFileError,
  policySnapshotName,
  readPolicyFile,
  schedulerSchedules,
  SnapshotPolicyFired,
} from '../src';

const policy = (over: Record<string, unknown> = {}) => ({
  name: 'orders-twice-daily',
  databases: { identifiers: ['orders-db'] },
  schedule: 'rate(12 hours)',
  retention: { maxAgeDays: 50 },
  copies: [{ region: 'us-west-2', retention: { maxAgeDays: 1 } }],
  ...over,
});

/** The lines of the error a file with these sections gets. */
function mistakes(raw: unknown): string[] {
  try {
    parsePolicyConfig(raw, 'rewind.config.json');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    return (err as PolicyFileError).issues;
  }
  throw new Error('expected the file to be refused');
}

describe('the policy file', () => {
  test('the example file in the repository is valid and has both sections', () => {
    const config = readPolicyFile(join(__dirname, '..', '..', 'rewind.config.example.json'));
    expect(config.schedules.map((s) => s.name)).toEqual(['refresh-staging', 'nightly-snapshot']);
    expect(config.snapshotPolicies.map((p) => [p.name, p.kind])).toEqual([
      ['orders-twice-daily', 'instance'],
      ['aurora-nightly', 'cluster'],
    ]);
  });

  test('a file of scheduled runs only (the older format) is still a valid policy file', () => {
    const config = parsePolicyConfig({
      schedules: [
        {
          name: 'n',
          expression: 'rate(1 day)',
          request: { identifier: 'orders-db', task: 'create_snapshot_only' },
        },
      ],
    });
    expect(config).toEqual({
      schedules: [
        {
          name: 'n',
          expression: 'rate(1 day)',
          request: { identifier: 'orders-db', task: 'create_snapshot_only' },
        },
      ],
      snapshotPolicies: [],
      drPlans: { plans: {} },
      replication: [],
    });
  });

  test('fills defaults: kind instance, enabled, no copies', () => {
    const [p] = parsePolicyConfig({ snapshotPolicies: [policy({ copies: undefined })] }).snapshotPolicies;
    expect(p).toMatchObject({ kind: 'instance', enabled: true, copies: [] });
  });

  test('one line per mistake, each naming the policy, the field and the fix', () => {
    const lines = mistakes({
      snapshotPolicies: [
        policy({ retention: {}, schedule: 'every 12 hours' }),
        policy({ name: 'second', copies: [{ region: 'mars', retention: { keepLast: 0 } }], databases: {} }),
        policy({ name: 'third', retension: { keepLast: 3 } }),
      ],
      snapshotPolicy: [],
    });
    expect(lines).toEqual([
      'snapshotPolicy: is not a section; the sections are schedules, snapshotPolicies, drPlans, replication (and "$comment")',
      expect.stringMatching(/^snapshotPolicies\[0\] \(orders-twice-daily\)\.schedule: .*rate\(12 hours\)/),
      expect.stringMatching(
        /^snapshotPolicies\[0\] \(orders-twice-daily\)\.retention: says nothing: give "keepLast".*"maxAgeDays"/,
      ),
      expect.stringMatching(/^snapshotPolicies\[1\] \(second\)\.databases: must name the databases one way/),
      'snapshotPolicies[1] (second).copies[0].region: must be a region name, e.g. us-west-2',
      'snapshotPolicies[1] (second).copies[0].retention.keepLast: must be at least 1: the newest snapshot is always kept',
      'snapshotPolicies[2] (third): unknown field "retension": remove or correct the spelling',
    ]);
  });

  test('duplicate names, across policies and across sections', () => {
    expect(mistakes({ snapshotPolicies: [policy(), policy()] })).toEqual([
      'snapshotPolicies[1] (orders-twice-daily).name: is used twice; give each policy its own name',
    ]);
    expect(
      mistakes({
        schedules: [
          {
            name: 'snapshot-orders-twice-daily',
            expression: 'rate(1 day)',
            request: { identifier: 'a', task: 'create_snapshot_only' },
          },
        ],
        snapshotPolicies: [policy()],
      }),
    ).toEqual([
      'schedules: snapshot-orders-twice-daily: two schedules would have this name (scheduled runs, snapshot policies and replication policies share one list of names); rename one',
    ]);
  });

  test('scheduled runs keep their checks: a request must satisfy RestoreRequested, requestId is per firing', () => {
    expect(
      mistakes({
        schedules: [
          { name: 'a', expression: 'rate(1 day)', request: { identifier: 'orders-db', task: 'nothing' } },
          {
            name: 'b',
            expression: 'rate(1 day)',
            request: { identifier: 'x', task: 'db_restore', requestId: 'r' },
          },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^schedules\[0\] \(a\)\.request\.task: task must be one of/),
      'schedules[1] (b).request.requestId: is set per firing (<name>/<scheduled time>); leave it out',
    ]);
  });

  test('DR plans are a section of the same file: their mistakes join the others, one line each', () => {
    const lines = mistakes({
      drPlans: { failover: 'missing', plans: { 'to-west': { layers: [] } } },
    });
    expect(lines).toEqual([
      expect.stringMatching(/^drPlans: plan "to-west".*at least one layer/),
      expect.stringMatching(/^drPlans: failover names plan "missing", which is not defined/),
    ]);
  });

  test('a file that is not there or not JSON says so, with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rewind-policies-'));
    writeFileSync(join(dir, 'bad.json'), '{ "snapshotPolicies": [ }');
    expect(() => readPolicyFile(join(dir, 'bad.json'))).toThrow(/bad\.json: is not JSON .*fix the syntax/);
    expect(() => readPolicyFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the file/);
    expect(readPolicyFile(undefined)).toEqual({
      schedules: [],
      snapshotPolicies: [],
      drPlans: { plans: {} },
      replication: [],
    });
  });
});

describe('Scheduler schedules of a policy file', () => {
  test('one schedule per expression, a prune schedule, each firing carrying the policy', () => {
    const config = parsePolicyConfig({
      snapshotPolicies: [
        policy({ schedule: ['cron(0 6 * * ? *)', 'cron(0 18 * * ? *)'], pruneSchedule: 'rate(1 day)' }),
      ],
    });
    const schedules = schedulerSchedules(config);
    expect(schedules.map((s) => [s.name, s.expression, s.detailType])).toEqual([
      ['snapshot-orders-twice-daily-1', 'cron(0 6 * * ? *)', 'SnapshotPolicyFired'],
      ['snapshot-orders-twice-daily-2', 'cron(0 18 * * ? *)', 'SnapshotPolicyFired'],
      ['prune-orders-twice-daily', 'rate(1 day)', 'SnapshotPolicyFired'],
    ]);
    const fired = SnapshotPolicyFired.parse(
      JSON.parse(schedules[2]!.input.replace('<aws.scheduler.scheduled-time>', '2026-11-22T12:00:00Z')),
    );
    expect(fired).toMatchObject({
      action: 'prune',
      scheduledTime: '2026-11-22T12:00:00Z',
      policy: config.snapshotPolicies[0],
    });
  });
});

describe('policy snapshot names', () => {
  test('unique per policy, database and firing; a legal identifier of at most 63 characters', () => {
    const at = new Date('2026-11-22T12:00:00Z');
    const a = policySnapshotName('p', 'orders-db', at);
    expect(a).toMatch(/^rewind-orders-db-202611221200-[0-9a-f]{6}$/);
    expect(policySnapshotName('q', 'orders-db', at)).not.toBe(a);
    const long = policySnapshotName('p', `a${'-b'.repeat(31)}`, at);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toMatch(/--|-$/);
  });
});

describe('retention', () => {
  const asOf = new Date('2026-03-01T00:00:00Z');
  const day = (n: number) => new Date(asOf.getTime() - n * 86_400_000);
  const snap = (id: string, ageDays: number, status = 'available') => ({
    snapshotIdentifier: id,
    status,
    createdAt: day(ageDays),
  });

  test('maxAgeDays deletes what is older, with why; keeps the rest, with why', () => {
    const plan = planRetention(
      [snap('a', 0.5), snap('b', 49.5), snap('c', 50), snap('d', 60)],
      { maxAgeDays: 50 },
      asOf,
    );
    expect(plan.delete.map((d) => [d.snapshotIdentifier, d.reason])).toEqual([
      ['c', 'older than 50 days (maxAgeDays)'],
      ['d', 'older than 50 days (maxAgeDays)'],
    ]);
    expect(plan.keep.map((d) => [d.snapshotIdentifier, d.reason])).toEqual([
      ['a', 'newest available snapshot: always kept'],
      ['b', 'younger than 50 days (maxAgeDays)'],
    ]);
  });

  test('the newest available is kept even when every snapshot is too old; one not available is never deleted', () => {
    const plan = planRetention(
      [snap('new', 1, 'creating'), snap('a', 90), snap('b', 91)],
      { maxAgeDays: 1 },
      asOf,
    );
    expect(plan.delete.map((d) => d.snapshotIdentifier)).toEqual(['b']);
    expect(plan.keep.map((d) => [d.snapshotIdentifier, d.reason])).toEqual([
      ['new', 'creating, not available: never deleted'],
      ['a', 'newest available snapshot: always kept'],
    ]);
  });

  test('keepLast and maxAgeDays: a snapshot goes only when neither keeps it; protected ones stay', () => {
    const plan = planRetention(
      [snap('a', 1), snap('b', 2), snap('c', 30), snap('d', 40), snap('e', 41)],
      { keepLast: 2, maxAgeDays: 35 },
      asOf,
      new Map([['e', 'needed by run run-x (running)']]),
    );
    expect(plan.delete.map((d) => [d.snapshotIdentifier, d.reason])).toEqual([
      ['d', 'not among the newest 2 (keepLast) and older than 35 days (maxAgeDays)'],
    ]);
    expect(plan.keep.map((d) => d.reason)).toEqual([
      'newest available snapshot: always kept',
      'among the newest 2 (keepLast)',
      'younger than 35 days (maxAgeDays)',
      'needed by run run-x (running)',
    ]);
  });
});
