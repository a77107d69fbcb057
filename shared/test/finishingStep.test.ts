import { DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { defineStep, type PhaseOp, type RunRecord, type ServiceContext, type StepDefinition } from '../src';
import { useServiceTestBed } from '../src/testing/serviceTestBed';
import { testContext } from '../src/testing/context';
import { runFixture } from '../src/testing/fixtures';

/**
 * The finishing role (a step after which nothing is undone) and `prepare`: a failure completes the step
 * with a warning made of the reason and the advice; `prepare` either finishes the step before any claim
 * or says what the claim records.
 */

const bed = useServiceTestBed();
const { rds, sqs } = bed;

const completions: { run: RunRecord; warning?: string }[] = [];
beforeEach(() => completions.splice(0));

function finishing(overrides: Partial<StepDefinition> = {}) {
  const remove = (ctx: ServiceContext): PhaseOp => ({
    kind: 'instance',
    name: 'orders-db-old',
    label: 'delete orders-db-old',
    look: async () => ({ state: 'todo' }),
    act: async () => {
      await ctx.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-db-old' }));
    },
  });
  return defineStep({
    step: 'cleanup',
    role: 'finishing',
    target: 'deleted',
    deadlineSeconds: () => 60,
    phases: (ctx) => [[remove(ctx)]],
    complete: async (_ctx, run, _data, warning) => {
      completions.push({ run, warning });
    },
    advice: () => ({ state: 'orders-db-old remains', action: 'aws rds delete-db-instance ...' }),
    ...overrides,
  });
}

const atCleanup = async () => {
  const fixture = runFixture('orders-db');
  return bed.store.createRun({ ...fixture, run: { ...fixture.run, next: 'cleanup' } });
};

test('a finishing step must say what is left when it fails', () => {
  expect(() => finishing({ advice: undefined })).toThrow('finishing step cleanup must say what to do');
});

test('a permanent RDS error completes a finishing step with the reason, the state and the action', async () => {
  const run = await atCleanup();
  rds
    .on(DeleteDBInstanceCommand)
    .rejects(Object.assign(new Error('busy'), { name: 'InvalidDBInstanceStateFault' }));
  await finishing().start(testContext('cleanup', bed.store), run);
  expect(completions.map((c) => c.warning)).toEqual([
    'delete orders-db-old failed: InvalidDBInstanceStateFault: busy; orders-db-old remains; aws rds delete-db-instance ...',
  ]);
  expect((await bed.store.getRun(run.runId))?.failure).toBeUndefined();
});

test('prepare may finish the step at once: no claim, no deadline check, no call', async () => {
  const run = await atCleanup();
  const step = finishing({ prepare: async () => ({ finish: { warning: 'nothing to do' } }) });
  await step.start(testContext('cleanup', bed.store), run);
  expect(completions).toEqual([{ run, warning: 'nothing to do' }]);
  expect(await bed.store.getRun(run.runId)).toEqual(run);
  expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  expect(rds.calls()).toHaveLength(0);
});

test('what prepare says the claim records is written with the expectation, before the call', async () => {
  const run = await atCleanup();
  rds.on(DeleteDBInstanceCommand).resolves({});
  const names = { ...run.names, finalSnapshot: 'orders-db-final' };
  await finishing({ prepare: async () => ({ changes: { names } }) }).start(
    testContext('cleanup', bed.store),
    run,
  );
  expect(await bed.store.getRun(run.runId)).toMatchObject({
    names,
    expectation: { step: 'cleanup', acted: true },
  });
  expect(completions).toEqual([]);
});
