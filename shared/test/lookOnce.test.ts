import { DescribeDBInstancesCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { defineStep, findInstance, type PhaseOp, type ServiceContext } from '../src';
import { lookingOnce } from '../src/service/lookOnce';
import { useServiceTestBed } from '../src/testing/serviceTestBed';
import { testContext } from '../src/testing/context';
import { runFixture } from '../src/testing/fixtures';

/** One look describes each resource once: the RDS API budget is shared by every run of the account. */

const bed = useServiceTestBed();
const { rds } = bed;

const described = () =>
  rds.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input.DBInstanceIdentifier);

beforeEach(() => {
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-db' }).resolves({
    DBInstances: [{ DBInstanceIdentifier: 'orders-db', DBInstanceStatus: 'available' }],
  });
  rds
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'gone-db' })
    .rejects(Object.assign(new Error('not found'), { name: 'DBInstanceNotFoundFault' }));
});

test('a describe asked again in one look is answered once; a change or a new look asks again', async () => {
  const base = testContext('restore', bed.store);
  const look = lookingOnce(base);
  expect((await findInstance(look.rds, 'orders-db'))?.DBInstanceStatus).toBe('available');
  expect((await findInstance(look.rds, 'orders-db'))?.DBInstanceStatus).toBe('available');
  expect(await findInstance(look.rds, 'gone-db')).toBeUndefined();
  expect(await findInstance(look.rds, 'gone-db')).toBeUndefined();
  expect(described()).toEqual(['orders-db', 'gone-db']);

  await look.rds.send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', ApplyImmediately: true }),
  );
  await findInstance(look.rds, 'orders-db');
  await findInstance(lookingOnce(base).rds, 'orders-db');
  expect(described()).toEqual(['orders-db', 'gone-db', 'orders-db', 'orders-db']);
  // The service's own client is untouched.
  await findInstance(base.rds, 'orders-db');
  await findInstance(base.rds, 'orders-db');
  expect(described()).toHaveLength(6);
});

test('the phases of a step reading the same database describe it once per look', async () => {
  const reads = (ctx: ServiceContext, label: string): PhaseOp => ({
    kind: 'instance',
    name: 'orders-db',
    label,
    look: async () => ((await findInstance(ctx.rds, 'orders-db')) ? { state: 'done' } : { state: 'todo' }),
    act: async () => undefined,
  });
  const completed: string[] = [];
  const step = defineStep({
    step: 'restore',
    role: 'forward',
    target: 'available',
    deadlineSeconds: () => 60,
    phases: (ctx) => [[reads(ctx, 'restore')], [reads(ctx, 'configure')], [reads(ctx, 'untag')]],
    verify: async (ctx) => {
      const db = await findInstance(ctx.rds, 'orders-db');
      return { state: db?.DBInstanceStatus === 'available' ? 'done' : 'waiting' };
    },
    complete: async (_ctx, run) => {
      completed.push(run.runId);
    },
  });
  const fixture = runFixture('orders-db');
  const run = await bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'restore' } });
  await step.start(testContext('restore', bed.store), run);
  expect(completed).toEqual([run.runId]);
  expect(described()).toEqual(['orders-db']);
});
