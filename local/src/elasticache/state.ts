/**
 * ElastiCache (Valkey / Redis OSS) replication groups and global datastores: what the emulator keeps per
 * account and region, and how long operations take.
 */
import { createHash } from 'node:crypto';
import { Scheduler, taskFunction, type TaskRef } from '../rds/lifecycle';
import type { Faults } from '../rds/faults';
import { RdsError } from '../rds/errors';
import type { LocalIdentity } from '../types';

export interface Durations {
  /** CreateReplicationGroup: `creating`. */
  replicationGroupCreate: number;
  /** CreateGlobalReplicationGroup: `creating`, then `primary-only`. */
  globalCreate: number;
  /** CreateReplicationGroup as a secondary: the secondary `creating`, the global datastore `modifying`. */
  secondaryCreate: number;
  /** FailoverGlobalReplicationGroup: `modifying` until the roles have swapped. */
  globalFailover: number;
  /** DisassociateGlobalReplicationGroup: `modifying` until the secondary is standalone. */
  disassociate: number;
}

const MIN = 60_000;

export const REALISTIC: Durations = {
  replicationGroupCreate: 10 * MIN,
  globalCreate: 1 * MIN,
  secondaryCreate: 20 * MIN,
  globalFailover: 3 * MIN,
  disassociate: 2 * MIN,
};

export type Role = 'PRIMARY' | 'SECONDARY';

/** What a replication group and a global datastore both have. */
interface CacheSettings {
  /** Stable key (lifecycle steps find the resource by it). */
  key: string;
  id: string;
  description: string;
  status: string;
  engine: string;
  engineVersion: string;
  cacheNodeType: string;
  transitEncryption: boolean;
  atRestEncryption: boolean;
}

export interface ReplicationGroup extends CacheSettings {
  kind: 'replication-group';
  numCacheClusters: number;
  automaticFailover: boolean;
  multiAZ: boolean;
  createTime: Date;
  tags: { Key: string; Value: string }[];
  global?: { id: string; role: Role };
}

export interface GlobalDatastore extends CacheSettings {
  kind: 'global-datastore';
}

export class ElastiCacheError extends RdsError {}

export const ecErr = {
  value: (msg: string) => new ElastiCacheError('InvalidParameterValue', msg),
  combination: (msg: string) => new ElastiCacheError('InvalidParameterCombination', msg),
  groupNotFound: (id: string) =>
    new ElastiCacheError('ReplicationGroupNotFoundFault', `ReplicationGroup ${id} not found.`, 404),
  groupExists: (id: string) =>
    new ElastiCacheError('ReplicationGroupAlreadyExists', `Replication group ${id} already exists.`),
  groupState: (msg: string) => new ElastiCacheError('InvalidReplicationGroupState', msg),
  globalNotFound: (id: string) =>
    new ElastiCacheError(
      'GlobalReplicationGroupNotFoundFault',
      `GlobalReplicationGroup ${id} not found.`,
      404,
    ),
  globalExists: (id: string) =>
    new ElastiCacheError(
      'GlobalReplicationGroupAlreadyExistsFault',
      `Global replication group ${id} already exists.`,
    ),
  globalState: (msg: string) => new ElastiCacheError('InvalidGlobalReplicationGroupState', msg),
};

/** Every account's and region's ElastiCache, for the calls that reach across (global datastores). */
export interface ElastiCacheWorld {
  partition(where: LocalIdentity): ElastiCacheState;
  all(): ElastiCacheState[];
}

export class ElastiCacheState {
  readonly groups = new Map<string, ReplicationGroup>();
  /** Global datastores created in this region (they are the account's). */
  readonly globals = new Map<string, GlobalDatastore>();
  readonly sched: Scheduler;
  /** Every status change, oldest first (admin `history`; not kept across a restart). */
  readonly history: { time: string; kind: string; id: string; status: string }[] = [];
  private seq = 0;

  constructor(
    readonly identity: LocalIdentity,
    readonly world: ElastiCacheWorld,
    readonly faults: Faults,
    public durations: Durations,
    timeScale: number,
    readonly log: (line: string) => void,
  ) {
    this.sched = new Scheduler(timeScale);
    this.sched.setRunner((ref) => this.runTask(ref));
  }

  get keySequence(): number {
    return this.seq;
  }

  set keySequence(v: number) {
    this.seq = v;
  }

  nextKey(prefix: string): string {
    this.seq += 1;
    return `${prefix}#${this.seq}`;
  }

  byKey(key: string): ReplicationGroup | GlobalDatastore | undefined {
    for (const g of this.groups.values()) if (g.key === key) return g;
    for (const g of this.globals.values()) if (g.key === key) return g;
    return undefined;
  }

  runTask(ref: TaskRef): void {
    const fn = taskFunction<ElastiCacheState>(ref.task);
    if (!fn) throw new Error(`unknown lifecycle task ${ref.task}`);
    const owner = this.byKey(ref.key);
    if (owner) fn(this, owner, ref.args);
  }

  group(id: string): ReplicationGroup {
    const g = this.groups.get(id.toLowerCase());
    if (!g) throw ecErr.groupNotFound(id);
    return g;
  }

  groupArn(id: string): string {
    return `arn:aws:elasticache:${this.identity.region}:${this.identity.accountId}:replicationgroup:${id}`;
  }

  globalArn(id: string): string {
    return `arn:aws:elasticache::${this.identity.accountId}:globalreplicationgroup:${id}`;
  }

  /** `<id>.<hash>.ng.0001.<use1>.cache.amazonaws.com`, with `-ro` for the reader endpoint. */
  endpoint(id: string, reader: boolean): string {
    const digest = createHash('sha256').update(`${this.identity.accountId}/${this.identity.region}`).digest();
    const hash = digest.toString('hex').slice(0, 6);
    const short = this.identity.region.replace(/^([a-z]+)-([a-z])[a-z]*-(\d+)$/, '$1$2$3');
    return `${id}${reader ? '-ro' : ''}.${hash}.ng.0001.${short}.cache.amazonaws.com`;
  }

  /**
   * The region's prefix of global datastore ids. ElastiCache gives each region its own five letters (the
   * user guide lists them); the emulator derives five from the region name, so read the id from the answer.
   */
  globalPrefix(): string {
    const digest = createHash('sha256').update(`elasticache-global/${this.identity.region}`).digest();
    return Array.from(digest.subarray(0, 5), (b) => String.fromCharCode(97 + (b % 26))).join('');
  }

  setStatus(x: ReplicationGroup | GlobalDatastore, status: string): void {
    x.status = status;
    this.history.push({ time: new Date().toISOString(), kind: x.kind, id: x.id, status });
    this.log(`elasticache ${this.identity.region} ${x.kind} ${x.id}: ${status}`);
  }

  reset(): void {
    this.sched.close();
    this.groups.clear();
    this.globals.clear();
    this.history.length = 0;
  }
}
