import { DeleteDBClusterCommand, DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  clusterConfigOf,
  deleteInstance,
  derivedIdentifier,
  instanceConfigOf,
  nameOf,
  type Kind,
  type Phases,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import {
  deletion,
  liftClusterProtection,
  recorded,
  sightCluster,
  sightInstance,
  type Sighting,
} from './deletion';

/**
 * The set-aside original of each kind of database: how it is seen, which resource id the run recorded
 * for it, the operations that delete it, and what a person runs to remove it by hand. An instance:
 * one operation (lift deletion protection, delete with the final snapshot, keep automated backups). A
 * cluster: its set-aside members (no snapshot of their own), then the cluster's deletion protection,
 * then the cluster with its final cluster snapshot.
 */
export interface SetAside {
  /** How messages name it: "original", "original cluster". */
  noun: string;
  sight(ctx: ServiceContext, name: string): Promise<Sighting | undefined>;
  /** The resource id recorded at intake. */
  recordedId(run: RunRecord): string | undefined;
  /** The deletion; `first`: what `prepare` saw of the set-aside original. */
  phases(ctx: ServiceContext, run: RunRecord, first?: Sighting): Phases;
  /** What remains when it is not deleted. */
  remains(run: RunRecord): string;
  /** The commands that remove it by hand, keeping `finalSnapshot`. */
  removal(run: RunRecord, finalSnapshot: string): string[];
}

const memberTemp = (run: RunRecord, member: string) => derivedIdentifier(member, run.runId, 'old');
const memberTemps = (run: RunRecord) =>
  clusterConfigOf(run).members.map((m) => memberTemp(run, m.identifier));
/** A deletion of the set-aside original: with the run's final snapshot, if it keeps one. */
const call = (notFound: string, run: RunRecord) => ({ notFound, finalSnapshot: run.names.finalSnapshot });
const finalOrSkip = (run: RunRecord) =>
  run.names.finalSnapshot
    ? { FinalDBSnapshotIdentifier: run.names.finalSnapshot }
    : { SkipFinalSnapshot: true };

const instance: SetAside = {
  noun: 'original',
  sight: sightInstance,
  recordedId: (run) => instanceConfigOf(run).dbiResourceId,
  phases: (ctx, run, first) => {
    const name = nameOf(run, 'temporary');
    const target = recorded(ctx, 'instance', name, instanceConfigOf(run).dbiResourceId, first);
    return [
      [
        deletion(target, `delete the set-aside original ${name}`, call('DBInstanceNotFound', run), (seen) =>
          deleteInstance(
            ctx.rds,
            name,
            { DeletionProtection: seen.deletionProtection },
            { finalSnapshot: run.names.finalSnapshot, deleteAutomatedBackups: false },
          ),
        ),
      ],
    ];
  },
  remains: (run) => `the set-aside original ${nameOf(run, 'temporary')} remains`,
  removal: (run, finalSnapshot) => {
    const temp = nameOf(run, 'temporary');
    return [
      `aws rds modify-db-instance --db-instance-identifier ${temp} --no-deletion-protection --apply-immediately`,
      `aws rds delete-db-instance --db-instance-identifier ${temp} --final-db-snapshot-identifier ${finalSnapshot}`,
    ];
  },
};

const cluster: SetAside = {
  noun: 'original cluster',
  sight: sightCluster,
  recordedId: (run) => clusterConfigOf(run).dbClusterResourceId,
  phases: (ctx, run, first) => {
    const temp = nameOf(run, 'temporary');
    const members = clusterConfigOf(run).members.map((m) => {
      const name = memberTemp(run, m.identifier);
      const target = recorded(ctx, 'instance', name, m.dbiResourceId);
      return deletion(target, `delete the set-aside member ${name}`, { notFound: 'DBInstanceNotFound' }, () =>
        ctx.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true })),
      );
    });
    const target = recorded(ctx, 'cluster', temp, clusterConfigOf(run).dbClusterResourceId);
    const remove = deletion(
      target,
      `delete the set-aside cluster ${temp}`,
      call('DBClusterNotFoundFault', run),
      () => ctx.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: temp, ...finalOrSkip(run) })),
    );
    return [members, [liftClusterProtection(ctx, { ...target, first })], [remove]];
  },
  remains: (run) =>
    `the set-aside original cluster ${nameOf(run, 'temporary')} (members ${memberTemps(run).join(', ') || 'none'}) remains`,
  removal: (run, finalSnapshot) => {
    const temp = nameOf(run, 'temporary');
    return [
      ...memberTemps(run).map((m) => `aws rds delete-db-instance --db-instance-identifier ${m}`),
      `aws rds modify-db-cluster --db-cluster-identifier ${temp} --no-deletion-protection --apply-immediately`,
      `aws rds delete-db-cluster --db-cluster-identifier ${temp} --final-db-snapshot-identifier ${finalSnapshot}`,
    ];
  },
};

export const SET_ASIDE: Record<Kind, SetAside> = { instance, cluster };
