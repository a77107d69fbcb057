/** Everything the emulator holds, and the helpers the operation modules share. */
import type { KmsKeys } from '../kms/keys';
import type { CloudClock } from '../clock';
import type { AssumedRoleCheck } from '../iam/evaluate';
import type { S3Writer } from '../sqs/fauxqsService';
import type { BusIngress, LocalIdentity } from '../types';
import { err } from './errors';
import { RdsEvents, type SnsPublisher } from './events';
import type { Faults, SeededRandom } from './faults';
import { Groups } from './groups';
import { Scheduler, taskFunction, type Durations, type TaskRef } from './lifecycle';
import type {
  DbCluster,
  DbClusterSnapshot,
  DbInstance,
  DbSnapshot,
  EventSubscription,
  ExportTask,
  Resource,
  Tag,
} from './model';
import { Naming } from './naming';
import { ANSWERING_STATUSES, Observer, type AnsweringEndpoint } from './observe';

/** Every account's and region's RDS, for calls that reach across (copies, replicas, sharing). */
export interface RdsWorld {
  /** The RDS state of an account in a region (created on first use). */
  partition(where: LocalIdentity): RdsState;
  /** Every existing account's and region's state. */
  all(): RdsState[];
  readonly kms: KmsKeys;
  /** S3 (export tasks write there), when the local cloud has it. */
  readonly s3?: S3Writer;
  /** What RDS may do with a role it assumes; undefined when IAM is off. */
  readonly checkRole?: AssumedRoleCheck;
}

export interface StateOptions {
  identity: LocalIdentity;
  world: RdsWorld;
  /** Shared by every account and region (faults name identifiers, not places). */
  faults: Faults;
  bus: BusIngress;
  sns: SnsPublisher;
  durations: Durations;
  timeScale: number;
  /** The cloud clock (timestamps and lifecycle timers). */
  clock: CloudClock;
  /** Drives names, zones and windows. */
  random: SeededRandom;
  log: (line: string) => void;
}

/** Behaviour switches where RDS's behaviour is not documented precisely. */
export interface Behaviour {
  /** A single-AZ instance shows `backing-up` while a manual snapshot of it is taken (default true). */
  instanceBackingUpDuringSnapshot: boolean;
  /** Statuses in which ModifyDBInstance is accepted (default available, storage-optimization). */
  modifiableStatuses: string[];
  /** Manual DB snapshots per account and region (AWS default 100, adjustable). */
  manualSnapshotQuota: number;
  /** Manual DB cluster snapshots per account and region (AWS default 100, adjustable). */
  manualClusterSnapshotQuota: number;
}

const DEFAULT_BEHAVIOUR: Behaviour = {
  instanceBackingUpDuringSnapshot: true,
  modifiableStatuses: ['available', 'storage-optimization'],
  manualSnapshotQuota: 100,
  manualClusterSnapshotQuota: 100,
};

/** Key prefix of export tasks (their identifier follows: unique per account and region). */
export const EXPORT_KEY = 'export:';

export class RdsState {
  /** Called when an instance or cluster becomes `available` (daily backups arm themselves: backups.ts). */
  static readonly onAvailable: ((s: RdsState, res: DbInstance | DbCluster) => void)[] = [];
  /** Keys of the databases whose next daily backup is set. */
  readonly dailyBackups = new Set<string>();
  behaviour: Behaviour = {
    ...DEFAULT_BEHAVIOUR,
    modifiableStatuses: [...DEFAULT_BEHAVIOUR.modifiableStatuses],
  };
  readonly identity: LocalIdentity;
  readonly world: RdsWorld;
  durations: Durations;
  readonly sched: Scheduler;
  readonly faults: Faults;
  readonly naming: Naming;
  readonly groups: Groups;
  readonly observer = new Observer();
  readonly events: RdsEvents;
  readonly log: (line: string) => void;
  readonly random: SeededRandom;

  readonly instances = new Map<string, DbInstance>();
  readonly clusters = new Map<string, DbCluster>();
  readonly snapshots = new Map<string, DbSnapshot>();
  readonly clusterSnapshots = new Map<string, DbClusterSnapshot>();
  readonly subscriptions = new Map<string, EventSubscription>();
  /** S3 export tasks by identifier (keys `export:<id>`). */
  readonly exportTasks = new Map<string, ExportTask>();
  private seq = 0;

  constructor(o: StateOptions) {
    this.identity = o.identity;
    this.world = o.world;
    this.durations = o.durations;
    this.sched = new Scheduler(o.timeScale, o.clock);
    this.sched.setRunner((ref) => this.runTask(ref));
    this.random = o.random;
    this.faults = o.faults;
    this.naming = new Naming(o.identity, o.random);
    this.groups = new Groups(this.naming);
    this.log = o.log;
    this.events = new RdsEvents(
      o.identity,
      o.bus,
      o.sns,
      this.faults,
      this.sched,
      () => this.subscriptions.values(),
      o.log,
    );
  }

  /** The cloud clock: every timestamp the emulator writes. */
  get clock(): CloudClock {
    return this.sched.clock;
  }

  /** The resource with this stable key (instance, cluster, snapshot or cluster snapshot). */
  byKey(key: string): Resource | undefined {
    const maps: Map<string, Resource>[] = [
      this.instances,
      this.clusters,
      this.snapshots,
      this.clusterSnapshots,
    ];
    for (const map of maps) for (const r of map.values()) if (r.key === key) return r;
    return undefined;
  }

  /** Runs a lifecycle task now: a scheduled one when due, or a follow-up such as a snapshot's `onDone`. */
  runTask(ref: TaskRef): void | Promise<void> {
    const fn = taskFunction<RdsState>(ref.task);
    if (!fn) throw new Error(`unknown lifecycle task ${ref.task}`);
    const owner = this.ownerOf(ref.key);
    if (owner) return fn(this, owner, ref.args);
  }

  /** What a lifecycle task belongs to: a resource, or an export task (`export:<id>`). */
  ownerOf(key: string): Resource | ExportTask | undefined {
    return key.startsWith(EXPORT_KEY) ? this.exportTasks.get(key.slice(EXPORT_KEY.length)) : this.byKey(key);
  }

  /** The sequence behind `nextKey` (saved, so keys stay unique after a restart). */
  get keySequence(): number {
    return this.seq;
  }

  set keySequence(value: number) {
    this.seq = value;
  }

  nextKey(prefix: string): string {
    this.seq += 1;
    return `${prefix}#${this.seq}`;
  }

  /** Changes a resource's status, records it, and updates endpoint availability. */
  setStatus(res: Resource, status: string, note?: string): void {
    res.status = status;
    this.observer.record(res.kind, res.key, res.id, status, note);
    this.refreshAvailability();
    if (status === 'available' && (res.kind === 'instance' || res.kind === 'cluster'))
      for (const hook of RdsState.onAvailable) hook(this, res);
  }

  /** Records a change that is not a status change (e.g. a rename) in the resource's history. */
  note(res: Resource, note: string): void {
    this.observer.record(res.kind, res.key, res.id, res.status, note);
    this.refreshAvailability();
  }

  refreshAvailability(): void {
    const answering: AnsweringEndpoint[] = [];
    for (const i of this.instances.values()) {
      if (ANSWERING_STATUSES.has(i.status)) {
        answering.push({ address: this.naming.instanceAddress(i.id), kind: 'instance', identifier: i.id });
      }
    }
    for (const c of this.clusters.values()) {
      if (!ANSWERING_STATUSES.has(c.status)) continue;
      const members = this.members(c.id).filter((m) => ANSWERING_STATUSES.has(m.status));
      if (members.some((m) => m.clusterWriter)) {
        answering.push({ address: this.naming.clusterAddress(c.id), kind: 'cluster', identifier: c.id });
      }
      if (members.length > 0) {
        answering.push({
          address: this.naming.clusterReaderAddress(c.id),
          kind: 'cluster-ro',
          identifier: c.id,
        });
      }
    }
    this.observer.updateAvailability(answering);
  }

  members(clusterId: string): DbInstance[] {
    return [...this.instances.values()].filter((i) => i.clusterId === clusterId);
  }

  instance(id: string): DbInstance {
    const i = this.instances.get(this.naming.idFromArnOrId(id).toLowerCase());
    if (!i) throw err.instanceNotFound(id);
    return i;
  }

  cluster(id: string): DbCluster {
    const c = this.clusters.get(this.naming.idFromArnOrId(id).toLowerCase());
    if (!c) throw err.clusterNotFound(id);
    return c;
  }

  snapshot(id: string): DbSnapshot {
    const s = this.snapshots.get(this.naming.idFromArnOrId(id).toLowerCase());
    if (!s) throw err.snapshotNotFound(id);
    return s;
  }

  clusterSnapshot(id: string): DbClusterSnapshot {
    const s = this.clusterSnapshots.get(this.naming.idFromArnOrId(id).toLowerCase());
    if (!s) throw err.clusterSnapshotNotFound(id);
    return s;
  }

  arnOf(res: Resource): string {
    switch (res.kind) {
      case 'instance':
        return this.naming.arn('db', res.id);
      case 'cluster':
        return this.naming.arn('cluster', res.id);
      case 'snapshot':
        return this.naming.arn('snapshot', res.id);
      case 'cluster-snapshot':
        return this.naming.arn('cluster-snapshot', res.id);
    }
  }

  /** The taggable thing behind an ARN (resources, groups, subscriptions). */
  taggable(arn: string): { tags: Tag[] } | undefined {
    const m = /^arn:aws:rds:([^:]*):([^:]*):([a-z-]+):(.+)$/.exec(arn);
    if (!m) return undefined;
    const [, region, account, type, id] = m as unknown as [string, string, string, string, string];
    if (region !== this.identity.region || account !== this.identity.accountId) return undefined;
    switch (type) {
      case 'db':
        return this.instances.get(id);
      case 'cluster':
        return this.clusters.get(id);
      case 'snapshot':
        return this.snapshots.get(id);
      case 'cluster-snapshot':
        return this.clusterSnapshots.get(id);
      case 'es':
        return this.subscriptions.get(id);
      case 'pg':
        return this.groups.parameterGroups.get(id);
      case 'cluster-pg':
        return this.groups.clusterParameterGroups.get(id);
      case 'og':
        return this.groups.optionGroups.get(id);
      case 'subgrp':
        return this.groups.subnetGroups.get(id);
      default:
        return undefined;
    }
  }

  reset(): void {
    this.sched.close();
    this.dailyBackups.clear();
    this.instances.clear();
    this.clusters.clear();
    this.snapshots.clear();
    this.clusterSnapshots.clear();
    this.subscriptions.clear();
    this.exportTasks.clear();
    this.groups.reset();
    this.observer.reset();
    this.events.reset();
  }
}

export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const out = existing.filter((t) => !added.some((a) => a.Key === t.Key));
  return [...out, ...added.map((t) => ({ ...t }))];
}
