/** Durations of RDS operations (milliseconds of simulated time) and the timer scheduler. */
import { CloudClock } from '../clock';

export interface Durations {
  /** CreateDBInstance: `creating`. */
  instanceCreate: number;
  /** Backup right after creation when BackupRetentionPeriod > 0: `backing-up`. */
  instanceInitialBackup: number;
  /** RestoreDBInstanceFromDBSnapshot: `creating`. */
  instanceRestore: number;
  /** Baseline backup after a restore with backups on: `backing-up` (can be hours in reality). */
  baselineBackup: number;
  /** RestoreDBInstanceToPointInTime: `creating`. */
  pointInTimeRestore: number;
  /** ModifyDBInstance applied immediately: `modifying`. */
  instanceModify: number;
  /** Rename: `renaming`. */
  renameRenaming: number;
  /** Rename: `available` flash before the reboot (0 = no flash). */
  renameAvailableFlash: number;
  /** Rename: `rebooting`. */
  renameRebooting: number;
  /** RebootDBInstance: `rebooting`. */
  reboot: number;
  /** DeleteDBInstance: `deleting` (plus snapshotCreate when a final snapshot is taken). */
  instanceDelete: number;
  /** CreateDBSnapshot: `creating` (PercentProgress rises meanwhile). */
  snapshotCreate: number;
  /** CopyDBSnapshot / CopyDBClusterSnapshot in one region: `creating`. */
  snapshotCopy: number;
  /** A cross-region copy waits in `pending` (RDS queues them, showing no progress)... */
  snapshotCopyQueued: number;
  /** ...then `copying` ("can take hours"; the first copy is always full). */
  snapshotCopyCrossRegion: number;
  /** CreateDBInstanceReadReplica: replica `creating` (cross-region "can take hours"). */
  replicaCreate: number;
  /** DeleteDBSnapshot: `deleting`. */
  snapshotDelete: number;
  /** StartExportTask: `STARTING` ("restores and scales the entire database")... */
  exportStarting: number;
  /** ...then `IN_PROGRESS` until `COMPLETE` (a tiny export took about 12.5 min in all). */
  exportRunning: number;
  /** CancelExportTask: `CANCELING` before `CANCELED`. */
  exportCanceling: number;
  clusterCreate: number;
  /** RestoreDBClusterFromSnapshot: `creating` (30 min and more). */
  clusterRestore: number;
  clusterModify: number;
  /** ModifyDBCluster with NewDBClusterIdentifier: `renaming`. */
  clusterRename: number;
  clusterDelete: number;
  clusterSnapshotCreate: number;
  clusterSnapshotDelete: number;
  /** CreateDBInstance into a cluster: `creating`. */
  clusterInstanceCreate: number;
}

const MIN = 60_000;

const REALISTIC: Durations = {
  instanceCreate: 8 * MIN,
  instanceInitialBackup: 2 * MIN,
  instanceRestore: 10 * MIN,
  baselineBackup: 15 * MIN,
  pointInTimeRestore: 12 * MIN,
  instanceModify: 1 * MIN,
  renameRenaming: 1 * MIN,
  renameAvailableFlash: 5_000,
  renameRebooting: 2 * MIN,
  reboot: 2 * MIN,
  instanceDelete: 5 * MIN,
  snapshotCreate: 5 * MIN,
  snapshotCopy: 6 * MIN,
  snapshotCopyQueued: 2 * MIN,
  snapshotCopyCrossRegion: 45 * MIN,
  replicaCreate: 40 * MIN,
  snapshotDelete: 30_000,
  exportStarting: 5 * MIN,
  exportRunning: 7.5 * MIN,
  exportCanceling: 1 * MIN,
  clusterCreate: 5 * MIN,
  clusterRestore: 30 * MIN,
  clusterModify: 1 * MIN,
  clusterRename: 2 * MIN,
  clusterDelete: 5 * MIN,
  clusterSnapshotCreate: 5 * MIN,
  clusterSnapshotDelete: 30_000,
  clusterInstanceCreate: 10 * MIN,
};

/** Every transition still happens (and still in order), just fast. */
const INSTANT: Durations = Object.fromEntries(
  Object.entries(REALISTIC).map(([k, v]) => [k, k === 'renameAvailableFlash' ? 5 : v > 0 ? 20 : 0]),
) as unknown as Durations;

export function resolveDurations(
  profile: 'realistic' | 'instant' | Partial<Durations> | undefined,
): Durations {
  if (profile === undefined || profile === 'realistic') return { ...REALISTIC };
  if (profile === 'instant') return { ...INSTANT };
  return { ...REALISTIC, ...profile };
}

/** Arguments of a lifecycle task: JSON values, or a task to run when this one is done. */
export type TaskArgs = Record<string, string | number | boolean | TaskRef | undefined>;

/** A named lifecycle step of one resource (by its stable `key`): data, so it survives a restart. */
export interface TaskRef {
  task: string;
  key: string;
  args: TaskArgs;
}

/** A task waiting in the scheduler, with when it is due (epoch ms). */
export interface PendingTask extends TaskRef {
  dueAt: number;
}

type TaskFn = (state: never, owner: never, args: never) => void | Promise<void>;
const TASKS = new Map<string, TaskFn>();

/**
 * Registers a lifecycle step under a unique name; returns a function making references to it. The
 * scheduler runs steps by name, so pending steps can be saved and resumed (`--state-dir`).
 */
export function defineTask<S, O extends { key: string }, A extends TaskArgs = Record<string, never>>(
  name: string,
  fn: (state: S, owner: O, args: A) => void | Promise<void>,
): (owner: O, args?: A) => TaskRef {
  if (TASKS.has(name)) throw new Error(`lifecycle task ${name} is defined twice`);
  TASKS.set(name, fn as TaskFn);
  return (owner, args) => ({ task: name, key: owner.key, args: args ?? {} });
}

export function taskFunction<S>(
  name: string,
): ((state: S, owner: unknown, args: TaskArgs) => void | Promise<void>) | undefined {
  return TASKS.get(name) as ((state: S, owner: unknown, args: TaskArgs) => void | Promise<void>) | undefined;
}

interface Timer {
  owner?: object;
  ref?: TaskRef;
}

/**
 * setTimeout with a time scale, owner-based cancellation, named tasks that can be saved, and close(),
 * on the cloud clock (`../clock.ts`): an advance of the clock runs the steps it passes, in order.
 */
export class Scheduler {
  private readonly timers = new Map<number, Timer>();
  private runner: (ref: TaskRef) => void | Promise<void> = () => undefined;

  constructor(
    public timeScale: number,
    readonly clock: CloudClock = new CloudClock(),
  ) {}

  /** How named tasks run (the state resolves the owner by key and calls the task). */
  setRunner(runner: (ref: TaskRef) => void | Promise<void>): void {
    this.runner = runner;
  }

  /** Runs fn after `ms` simulated milliseconds (not kept across a restart: use `task` for lifecycle steps). */
  after(ms: number, fn: () => void, owner?: object): void {
    this.afterReal(ms * this.timeScale, fn, owner);
  }

  /** Runs a named task after `ms` simulated milliseconds. */
  task(ms: number, owner: object, ref: TaskRef): void {
    this.afterReal(ms * this.timeScale, () => this.runner(ref), owner, ref);
  }

  /** Runs a named task when the cloud clock reaches `dueAt` (no time scale: e.g. a daily backup window). */
  taskAt(dueAt: number, owner: object, ref: TaskRef): void {
    this.at(dueAt, () => this.runner(ref), owner, ref);
  }

  /** Runs fn after `ms` milliseconds of the cloud clock (no time scale). */
  afterReal(ms: number, fn: () => void | Promise<void>, owner?: object, ref?: TaskRef): void {
    this.at(this.clock.now() + Math.max(0, ms), fn, owner, ref);
  }

  private at(dueAt: number, fn: () => void | Promise<void>, owner?: object, ref?: TaskRef): void {
    // A task returning a promise (e.g. writing to S3) is awaited by an advance of the clock.
    const id = this.clock.at(dueAt, () => {
      this.timers.delete(id);
      return fn();
    });
    this.timers.set(id, { owner, ref });
  }

  /** The named tasks waiting, with their due times (cloud clock). */
  pendingTasks(): PendingTask[] {
    const out: PendingTask[] = [];
    for (const [id, { ref }] of this.timers) {
      const dueAt = this.clock.dueAt(id);
      if (ref && dueAt !== undefined) out.push({ ...ref, dueAt });
    }
    return out;
  }

  /** Schedules saved tasks at their due times (at once when the time passed meanwhile). */
  resume(tasks: PendingTask[], ownerOf: (key: string) => object | undefined): void {
    for (const { dueAt, ...ref } of tasks) {
      this.at(Math.max(dueAt, this.clock.now()), () => this.runner(ref), ownerOf(ref.key), ref);
    }
  }

  /** Cancels the pending timers of one resource. */
  cancel(owner: object): void {
    for (const [id, timer] of this.timers) {
      if (timer.owner === owner) {
        this.clock.cancel(id);
        this.timers.delete(id);
      }
    }
  }

  pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const id of this.timers.keys()) this.clock.cancel(id);
    this.timers.clear();
  }
}
