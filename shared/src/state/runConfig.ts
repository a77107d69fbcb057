import type { ClusterConfig } from '../rds/clusterConfig';
import type { InstanceConfig } from '../rds/configCapture';
import type { PointInTime, RunNames, RunRecord } from './types';

/** The instance configuration a run captured; an error if the run is not an instance run or captured none. */
export function instanceConfigOf(run: RunRecord): InstanceConfig {
  const config = run.config;
  if (run.kind !== 'instance' || !config || 'members' in config) {
    throw new Error(`run ${run.runId} (${run.kind}) has no captured instance configuration`);
  }
  return config;
}

/** The cluster configuration a run captured; an error if the run is not a cluster run or captured none. */
export function clusterConfigOf(run: RunRecord): ClusterConfig {
  const config = run.config;
  if (run.kind !== 'cluster' || !config || !('members' in config)) {
    throw new Error(`run ${run.runId} (${run.kind}) has no captured cluster configuration`);
  }
  return config;
}

/** A name the run must have by this step; an error naming what is missing otherwise. */
export function nameOf(run: RunRecord, name: keyof RunNames): string {
  const value = run.names[name];
  if (!value) throw new Error(`run ${run.runId} has no ${name} name at step ${run.run.next ?? '(none)'}`);
  return value;
}

/** Where a restore reads from: a snapshot, or a database's automated backups at a point in time. */
export type RestoreFrom = { snapshot: string } | { pointInTime: PointInTime };

/** The run's restore source: its point in time, else the snapshot it chose (`names.restoreFrom`). */
export function restoreFromOf(run: RunRecord): RestoreFrom {
  return run.pointInTime ? { pointInTime: run.pointInTime } : { snapshot: nameOf(run, 'restoreFrom') };
}

/** For messages: `snapshot X` or `the backups of Y at T`. */
export function describeRestoreFrom(from: RestoreFrom): string {
  return 'snapshot' in from
    ? from.snapshot
    : `the backups of ${from.pointInTime.sourceIdentifier} at ${from.pointInTime.time}`;
}
