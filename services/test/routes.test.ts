import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  compensationFor,
  EVENT_NAMES,
  routedSteps,
  STRATEGIES,
  TASKS,
  topology,
  type EventName,
  type InboxHandler,
  type ServiceName,
  type StepName,
} from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture } from '@rewind/shared/src/testing/fixtures';
import { handler as cleanup } from '../cleanup/src/handler';
import { handler as lifecycle } from '../lifecycle/src/handler';
import { CHECK_TYPE } from '../lifecycle/src/lifecycle';
import { handler as failover } from '../failover/src/handler';
import { intake as failoverIntake } from '../failover/src/intake';
import { handler as notify } from '../notify/src/handler';
import { handler as rename } from '../rename/src/handler';
import { handler as restore } from '../restore/src/handler';
import { handler as snapshot } from '../snapshot/src/handler';
import { handler as replication } from '../replication/src/handler';
import { SOURCE_CHECK_TYPE } from '../replication/src/source';
import { DESTINATION_CHECK_TYPE } from '../replication/src/destination';
import { intake } from '../restore/src/intake';

/**
 * The wiring of the topology against what the handlers really do: every step a run can reach is
 * delivered to exactly one service whose handler starts it and waits on it, no rule delivers what no
 * handler takes, and each service's list of emitted events covers what its code publishes.
 */

const HANDLERS: Record<ServiceName, InboxHandler> = {
  snapshot,
  rename,
  restore,
  cleanup,
  notify,
  lifecycle,
  failover,
  replication,
};
/** Raw routes for messages a service sends its own inbox (no rule delivers them). */
const OWN_MESSAGES: Partial<Record<ServiceName, string[]>> = {
  lifecycle: [CHECK_TYPE],
  replication: [SOURCE_CHECK_TYPE, DESTINATION_CHECK_TYPE],
};
const bed = useServiceTestBed();
const specs = topology.services;
const sorted = <T>(values: Iterable<T>) => [...new Set(values)].sort();

/** `detail.run.next` of a rule pattern: the steps it delivers. */
const stepsOfPattern = (pattern: Record<string, unknown>) =>
  ((pattern.detail as { run?: { next?: StepName[] } } | undefined)?.run?.next ?? []) as StepName[];

/** Runs intake on a request for each task and strategy; the plans of the runs it starts, and the strategies it turns down. */
async function plansIntakeStarts() {
  // Runs before the test bed's per-test setup: publishing succeeds here too.
  bed.eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  // Every database exists but the clones' targets (`-copy`).
  bed.rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => ({
    DBInstances: input.DBInstanceIdentifier!.endsWith('-copy')
      ? []
      : [dbInstanceFixture(input.DBInstanceIdentifier!)],
  }));
  bed.rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
  bed.rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => ({
    DBSnapshots: [
      {
        DBSnapshotIdentifier: input.DBSnapshotIdentifier ?? 'routes-snapshot',
        Status: 'available',
        Engine: 'postgres',
        EngineVersion: '15.4',
        Encrypted: false,
      },
    ],
  }));
  const ctx = testContext('restore', bed.store);
  const plans: { task: string; strategy: string; plan: StepName[] }[] = [];
  const refused: { task: string; strategy: string; reason: string }[] = [];
  for (const task of TASKS) {
    for (const strategy of STRATEGIES) {
      bed.eb.resetHistory();
      const identifier = `routes-${task.replace(/_/g, '-')}-${strategy}`;
      // A clone takes no strategy (it never touches the source): its own target instead.
      const request =
        task === 'clone'
          ? {
              identifier,
              task,
              targetIdentifier: `${identifier}-copy`,
              snapshotIdentifier: `${identifier}-snap`,
            }
          : { identifier, task, strategy, snapshotIdentifier: `${identifier}-snap` };
      await intake(
        request,
        { id: `evt-${identifier}`, 'detail-type': 'RestoreRequested', source: 'test', detail: request },
        ctx,
      );
      const [answer] = bed.eb
        .commandCalls(PutEventsCommand)
        .flatMap((c) => c.args[0].input.Entries!)
        .map((e) => ({ type: e.DetailType!, detail: JSON.parse(e.Detail!) }));
      if (answer?.type === 'RunStarted') plans.push({ task, strategy, plan: answer.detail.run.plan });
      else refused.push({ task, strategy, reason: `${answer?.detail.code}: ${answer?.detail.reason}` });
    }
  }
  return { plans, refused };
}

/** The plans of the DR runs the failover intake starts (an ad-hoc plan, each direction). */
async function drPlansIntakeStarts(): Promise<StepName[][]> {
  const ctx = testContext('failover', bed.store);
  const found: StepName[][] = [];
  for (const direction of ['failover', 'failback'] as const) {
    bed.eb.resetHistory();
    const request = {
      direction,
      layers: [
        {
          resources: [
            {
              type: 'rds-replica',
              replicaId: `routes-${direction}`,
              replicaRegion: 'us-east-1',
              sourceRegion: 'us-west-2',
            },
          ],
        },
      ],
    };
    await failoverIntake(
      request,
      { id: `evt-dr-${direction}`, 'detail-type': 'FailoverRequested', source: 'test', detail: request },
      ctx,
    );
    const [answer] = bed.eb
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries!)
      .map((e) => ({ type: e.DetailType!, detail: JSON.parse(e.Detail!) }));
    expect(answer?.type).toBe('FailoverStarted');
    found.push(answer!.detail.run.plan);
  }
  return found;
}

let plans: StepName[][];
let reachable: StepName[];

beforeAll(async () => {
  const intaken = await plansIntakeStarts();
  // Every task is accepted with every strategy.
  expect(intaken.refused).toEqual([]);
  expect(intaken.plans).toHaveLength(TASKS.length * STRATEGIES.length);
  plans = intaken.plans.map((p) => p.plan);
  const drPlans = await drPlansIntakeStarts();
  reachable = sorted(
    [...plans, ...drPlans].flatMap((plan) => [...plan, ...plan.flatMap((s) => compensationFor(plan, s))]),
  );
});

describe('every step a run can reach has one owner that starts it and waits on it', () => {
  test('the reachable steps are those of the in-place, swap and clone plans and their compensation, and the DR runs', () => {
    expect(reachable).toEqual(
      sorted([
        'snapshot',
        'set-aside',
        'restore',
        'restore-beside',
        'take-name',
        'restore-new',
        'cleanup',
        'discard',
        'rename-back',
        'failover',
        'failback',
      ]),
    );
  });

  test('each reachable step: exactly one service takes it, with a start route and a waiting route', () => {
    for (const step of reachable) {
      const owners = specs.filter((s) => s.steps.includes(step)).map((s) => s.name);
      expect({ step, owners }).toEqual({ step, owners: [expect.any(String)] });
      const routed = routedSteps(HANDLERS[owners[0]!].routes);
      expect({ step, start: routed.start.includes(step), wait: routed.wait.includes(step) }).toEqual({
        step,
        start: true,
        wait: true,
      });
    }
  });

  test.each(specs.map((s) => [s.name, s] as const))(
    '%s: its rules deliver exactly the steps its handler starts and waits on',
    (name, spec) => {
      const routed = routedSteps(HANDLERS[name].routes);
      const delivered = spec.rules.flatMap((r) => stepsOfPattern(r.pattern));
      expect({
        delivered: sorted(delivered),
        start: sorted(routed.start),
        wait: sorted(routed.wait),
      }).toEqual({
        delivered: sorted(spec.steps),
        start: sorted(spec.steps),
        wait: sorted(spec.steps),
      });
    },
  );

  test('no service is delivered a step no run can reach', () => {
    const routedAnywhere = specs.flatMap((s) => [
      ...s.steps,
      ...s.rules.flatMap((r) => stepsOfPattern(r.pattern)),
    ]);
    expect(routedAnywhere.filter((step) => !reachable.includes(step))).toEqual([]);
  });
});

describe('rules by detail-type', () => {
  test.each(specs.map((s) => [s.name, s] as const))(
    '%s: every detail-type its rules deliver from Rewind or a client has a handler route, and every such route a rule',
    (name, spec) => {
      const { routes } = HANDLERS[name];
      const delivered = spec.rules.flatMap((r) =>
        ((r.pattern['detail-type'] as string[] | undefined) ?? []).filter((t) => !t.startsWith('RDS ')),
      );
      // Step routes take any Rewind event whose `next` is theirs; other routes are by detail-type.
      const byType = routedSteps(routes).start.length ? [] : Object.keys(routes.events ?? {});
      const raw = Object.keys(routes.raw ?? {}).filter((t) => !OWN_MESSAGES[name]?.includes(t));
      expect(sorted(delivered)).toEqual(sorted([...raw, ...byType]));
    },
  );

  test('services with waiting steps receive RDS events; a service receives them only with a route for them', () => {
    for (const spec of specs) {
      const rds = spec.rules.some((r) =>
        ((r.pattern.source as string[] | undefined) ?? []).includes('aws.rds'),
      );
      const route = Boolean(HANDLERS[spec.name].routes.rds);
      expect({ service: spec.name, rds, route }).toEqual({
        service: spec.name,
        rds: route,
        route: spec.steps.length > 0 || route,
      });
      if (spec.steps.length) expect(rds).toBe(true);
    }
  });
});

/** The events a service's own code publishes, and those its calls into the service kit publish. */
function publishedByCode(name: ServiceName): EventName[] {
  const dir = join(__dirname, '..', name, 'src');
  const code = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  const literal = [...code.matchAll(/\b(?:event|publish)\(\s*(?:ctx,\s*)?'(\w+)'/g)].map(
    (m) => m[1] as EventName,
  );
  const kit: [RegExp, EventName[]][] = [
    [/\bfailStep\(|role: 'forward'/, ['RestoreFailed', 'RunFailed']],
    [/\bfailRollback\(|role: 'compensation'/, ['RollbackFailed', 'RunFailed']],
    [/\bcompleteRollback\(/, ['RollbackCompleted', 'RunFailed']],
  ];
  return [...literal, ...kit.flatMap(([pattern, events]) => (pattern.test(code) ? events : []))];
}

describe('emitted events', () => {
  test.each(specs.map((s) => [s.name, s] as const))(
    '%s: the topology lists every event its code publishes, and only those',
    (name, spec) => {
      const published = publishedByCode(name);
      expect(published.every((e) => (EVENT_NAMES as readonly string[]).includes(e))).toBe(true);
      // RunCompleted comes from completing the last step of a plan.
      const completes = plans.some((plan) => spec.steps.includes(plan[plan.length - 1]!));
      expect(sorted(spec.emits)).toEqual(
        sorted([...published, ...(completes ? ['RunCompleted' as const] : [])]),
      );
    },
  );
});
