import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  advance,
  beginCompensation,
  captureClusterConfig,
  derivedIdentifier,
  type EventName,
  type RunRecord,
} from '@rewind/shared';
import { useServiceTestBed } from '@rewind/shared/src/testing/serviceTestBed';
import { testContext } from '@rewind/shared/src/testing/context';
import { dbInstanceFixture, runFixture } from '@rewind/shared/src/testing/fixtures';

/**
 * What the rename tests share (call once at the top of a test file): the service test bed (mocked
 * clients, a real store on dynalite) and a small RDS world that the describe calls read. Rename calls
 * are recorded and change nothing: each test moves databases in the world as RDS would, so it decides
 * what every look finds.
 */

type Kind = 'instance' | 'cluster';
type Db = { status: string; id: string };

export const ORIGINAL_ID = 'db-ORIGINAL0000000000000000';
export const OTHER_ID = 'db-SOMEONEELSE00000000000000';

function notFound(name: string) {
  return Object.assign(new Error(`${name}: not found`), { name, $fault: 'client', $metadata: {} });
}

export function useRenameTestBed() {
  const bed = useServiceTestBed();
  const { rds, eb, sqs } = bed;
  const world: Record<Kind, Map<string, Db>> = { instance: new Map(), cluster: new Map() };

  beforeEach(() => {
    world.instance.clear();
    world.cluster.clear();
    rds.on(DescribeDBInstancesCommand).callsFake(({ DBInstanceIdentifier: name }) => {
      const db = world.instance.get(name);
      if (!db) throw notFound('DBInstanceNotFoundFault');
      return {
        DBInstances: [{ DBInstanceIdentifier: name, DBInstanceStatus: db.status, DbiResourceId: db.id }],
      };
    });
    rds.on(DescribeDBClustersCommand).callsFake(({ DBClusterIdentifier: name }) => {
      const c = world.cluster.get(name);
      if (!c) throw notFound('DBClusterNotFoundFault');
      return { DBClusters: [{ DBClusterIdentifier: name, Status: c.status, DbClusterResourceId: c.id }] };
    });
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(ModifyDBClusterCommand).resolves({});
  });

  const put = (kind: Kind, name: string, status: string, id: string) => world[kind].set(name, { status, id });
  const member = (run: RunRecord, name: string) => derivedIdentifier(name, run.runId, 'old');
  const publishedEntries = () => eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!);

  return {
    rds,
    sqs,
    /** The store on dynalite (set before the first test runs). */
    get store() {
      return bed.store;
    },
    world,
    put,
    /** RDS renamed `from` to `to`: the same database (resource id) under the new name. */
    move: (kind: Kind, from: string, to: string, status = 'available') => {
      const db = world[kind].get(from)!;
      world[kind].delete(from);
      world[kind].set(to, { ...db, status });
    },
    ctx: () => testContext('rename', bed.store),
    /** A context whose clock is `seconds` ahead. */
    later: (seconds: number) => testContext('rename', bed.store, () => new Date(Date.now() + seconds * 1000)),
    instanceRenames: () => rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input),
    clusterRenames: () => rds.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input),
    published: () => publishedEntries().map((e) => e.DetailType),
    detailOf: (type: EventName) =>
      JSON.parse(publishedEntries().find((e) => e.DetailType === type)!.Detail!) as Record<string, unknown>,
    stored: async (run: RunRecord) => (await bed.store.getRun(run.runId))!,
    /** An instance run whose next step is set-aside (a restore from an existing snapshot). */
    instanceRun: () => bed.store.createRun(runFixture('orders-db', 'db_restore')),
    /** A cluster run of `ledger` with a writer and a reader, next step set-aside. */
    clusterRun: () => {
      const base = runFixture('ledger', 'db_restore');
      const config = captureClusterConfig(
        {
          DBClusterIdentifier: 'ledger',
          DbClusterResourceId: 'cluster-LEDGER',
          Engine: 'aurora-postgresql',
          DBClusterMembers: [
            { DBInstanceIdentifier: 'ledger-1', IsClusterWriter: true },
            { DBInstanceIdentifier: 'ledger-2', IsClusterWriter: false },
          ],
        },
        [
          dbInstanceFixture('ledger-1', { DbiResourceId: 'db-LEDGER1' }),
          dbInstanceFixture('ledger-2', { DbiResourceId: 'db-LEDGER2' }),
        ],
      );
      return bed.store.createRun({ ...base, kind: 'cluster', run: { ...base.run, kind: 'cluster' }, config });
    },
    /** The run after its restore failed and the copy was discarded: rename-back is next. */
    rollingBack: (run: RunRecord) =>
      bed.store.updateRun(run, {
        run: advance(beginCompensation({ ...run.run, next: 'restore' }, 'restore'), 'discard'),
        status: 'rolling-back',
        failure: { step: 'restore', reason: 'restored instance ended in status incompatible-restore' },
        resources: { ...run.resources, setAside: run.names.temporary },
      }),
    /** The temporary name of a cluster member. */
    member,
    /** A cluster set-aside cut short: the cluster and its writer under temporary names, the reader never moved. */
    halfAside: (run: RunRecord) => {
      put('cluster', run.names.temporary!, 'available', 'cluster-LEDGER');
      put('instance', member(run, 'ledger-1'), 'available', 'db-LEDGER1');
      put('instance', 'ledger-2', 'available', 'db-LEDGER2');
    },
  };
}
