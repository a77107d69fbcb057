import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  derivedIdentifier,
  type DeadlineCheck,
  type RunRecord,
  type ServiceContext,
  type StateStore,
} from '@rewind/shared';
import type { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { runFixture } from '@rewind/shared/src/testing/fixtures';

/** Runs at the cleanup step, and what the cleanup tests read back (events published, the stored run). */

type Bed = ReturnType<typeof useServiceTestBed>;

/** An error as the SDK raises it for an RDS answer (`name` is the error code). */
export const rdsError = (name: string, message = name) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** The members of the cluster runs: a writer and a reader, with the resource ids recorded at intake. */
export const MEMBERS = [
  { identifier: 'orders-db-1', dbiResourceId: 'db-MEMBER1', writer: true, tags: [] },
  { identifier: 'orders-db-2', dbiResourceId: 'db-MEMBER2', writer: false, tags: [] },
];

/** A run whose restore is verified and whose next step is cleanup. */
export async function atCleanup(
  store: StateStore,
  kind: 'instance' | 'cluster',
  overrides: Partial<RunRecord> = {},
): Promise<RunRecord> {
  const fixture = runFixture(overrides.identifier ?? 'orders-db', 'create_snapshot', {
    kind,
    ...(kind === 'cluster'
      ? {
          config: {
            identifier: 'orders-db',
            dbClusterResourceId: 'cluster-ORIGINAL',
            engine: 'aurora-mysql',
            members: MEMBERS,
            tags: [],
          },
        }
      : {}),
    ...overrides,
  });
  return store.createRun({
    ...fixture,
    run: { ...fixture.run, kind, next: 'cleanup' },
    resources: { original: fixture.identifier, restored: fixture.identifier },
  });
}

/** The set-aside name of a cluster member. */
export const memberTemp = (run: RunRecord, member: string) => derivedIdentifier(member, run.runId, 'old');

/** The events published, in order, with their details. */
export function published(bed: Bed) {
  return bed.eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) =>
      c.args[0].input.Entries!.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail!) })),
    );
}

/** The run as stored now. */
export const stored = async (bed: Bed, run: RunRecord) => (await bed.store.getRun(run.runId))!;

/** The deadline check the run's expectation waits for. */
export function checkOf(run: RunRecord): DeadlineCheck {
  return { kind: 'rewind.check', runId: run.runId, step: 'cleanup', seq: run.expectation!.checks };
}

/** A context whose clock is `seconds` ahead (past the act timeout: 5 s, or the deletion deadline: 60 s). */
export const later = (ctx: ServiceContext, seconds: number): ServiceContext => ({
  ...ctx,
  now: () => new Date(Date.now() + seconds * 1000),
});
