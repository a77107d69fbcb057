/**
 * CopyDBSnapshot and CopyDBClusterSnapshot, called in the destination account and region: local copies,
 * copies from another region (source by ARN), copies of snapshots shared by another account, with the
 * KMS rules, limits, statuses and events of aws-facts-copies-dr.md §2-3:
 * - a cross-region copy goes `pending` (queued) -> `copying` -> `available`, emits RDS-EVENT-0059/0060 in
 *   the destination region; a local copy goes `creating` -> `available` with 0196/0197; cluster
 *   snapshot copies emit nothing; PercentProgress rises meanwhile;
 * - an encrypted source needs a key the caller may use; an encrypted cross-region copy, or a copy of
 *   an encrypted snapshot shared by another account, needs `KmsKeyId` (a key in the destination);
 * - `PreSignedUrl` is accepted and ignored (outside GovCloud RDS authorises the copy itself);
 * - at most 20 (instance) / 5 (cluster) cross-region copies in progress per destination region.
 */
import { checkManualSnapshotQuota } from './quotas';
import { missingTargetKey, requireSourceKey, targetKey } from './encryption';
import { err, RdsError } from './errors';
import { defineTask } from './lifecycle';
import type { CopyProgress, DbClusterSnapshot, DbSnapshot, Tag } from './model';
import { defaultOptionGroup } from './naming';
import { locateSnapshot, type Located } from './places';
import type { Params, XmlObject } from './protocol';
import { renderClusterSnapshot, renderSnapshot } from './render';
import { normaliseId, SNAPSHOT_ID_MAX, validateIdentifier } from './settings';
import { scheduleProgress } from './snapshotProgress';
import { mergeTags, type RdsState } from './state';

type AnySnapshot = DbSnapshot | DbClusterSnapshot;

/** What differs between the two kinds of copy. */
interface CopyKind<T extends AnySnapshot> {
  kind: T['kind'];
  sourceParam: string;
  targetParam: string;
  /** The longest identifier of this kind. */
  idMax: number;
  store(s: RdsState): Map<string, T>;
  exists(id: string): RdsError;
  state(message: string): RdsError;
  /** Cross-region copies in progress allowed per destination region and account. */
  crossRegionLimit: number;
  /** Instance snapshot copies emit 0059/0060 or 0196/0197; cluster copies are silent. */
  events: boolean;
  /** Rules of this kind about where the source may come from. */
  checkSource(found: Located<T>, kmsKeyId: string | undefined): void;
  /** The copy, before its status, tags and key are set. */
  build(s: RdsState, found: Located<T>, id: string, p: Params): T;
}

const SIMULATED_MINUTE = 60_000;

function copySnapshot<T extends AnySnapshot>(s: RdsState, p: Params, k: CopyKind<T>): T {
  const id = normaliseId(p.req(k.targetParam));
  validateIdentifier(id, k.targetParam, k.idMax);
  const found = locateSnapshot(s, p.req(k.sourceParam), k.kind) as Located<T>;
  const { item: source, crossRegion, crossAccount } = found;
  if (source.status !== 'available') throw k.state(`Snapshot ${source.id} is not in available state.`);
  if (k.store(s).has(id)) throw k.exists(id);
  const kmsKeyId = p.str('KmsKeyId');
  k.checkSource(found, kmsKeyId);
  const encrypted = source.source.storageEncrypted;
  if (encrypted && (crossRegion || crossAccount) && kmsKeyId === undefined)
    throw missingTargetKey(crossRegion);
  if (encrypted) requireSourceKey(s, source.source.kmsKeyId);
  const keyArn = kmsKeyId === undefined ? source.source.kmsKeyId : targetKey(s, kmsKeyId, true);
  if (crossRegion) {
    const inFlight = [...k.store(s).values()].filter((x) => x.copying?.crossRegion).length;
    if (inFlight >= k.crossRegionLimit) {
      throw new RdsError(
        'SnapshotQuotaExceeded',
        `Cannot copy more than ${k.crossRegionLimit} snapshots across regions: wait for a copy to ${s.identity.region} to finish.`,
      );
    }
  }
  checkManualSnapshotQuota(s, k.kind);
  const outcome = s.faults.takeOperation('snapshot', id);
  if (outcome === 'quota-exceeded') {
    throw new RdsError('SnapshotQuotaExceeded', 'Cannot create more than 100 manual snapshots');
  }
  const copy = k.build(s, found, id, p);
  copy.source.kmsKeyId = keyArn;
  copy.source.storageEncrypted = keyArn !== undefined;
  const tags: Tag[] = p.tags() ?? [];
  copy.tags = p.bool('CopyTags') === true ? mergeTags(source.tags, tags) : tags;
  copy.copying = {
    crossRegion,
    sourceId: source.id,
    sourceRegion: found.owner.identity.region,
    sourceAccount: found.owner.identity.accountId,
    sourceKey: source.key,
    requestedAt: s.clock.now(),
    fails: outcome === 'failed',
    // One lane per source database and destination (cross-region copies only).
    lane: crossRegion ? `${found.owner.identity.region}/${laneOf(source)}` : undefined,
  };
  k.store(s).set(id, copy);
  s.setStatus(copy, crossRegion ? 'pending' : 'creating', `copy of ${found.owner.arnOf(source)}`);
  if (k.events) {
    const vars = { source: source.id, region: found.owner.identity.region };
    const event = crossRegion ? 'crossRegionCopyStarted' : 'snapshotCopyStarted';
    s.events.emit('SNAPSHOT', event, copy.id, s.arnOf(copy), vars);
  }
  if (crossRegion) startWhenLaneFree(s, copy);
  else s.runTask(copyTransfer(copy));
  return copy;
}

/**
 * The copy moves data: `copying` (cross-region) or `creating` (local), PercentProgress rising, until
 * `copyFinished`.
 */
const copyTransfer = defineTask('snapshot-copy.transfer', (s: RdsState, copy: AnySnapshot) => {
  const progress = copy.copying;
  if (!progress) return;
  if (progress.crossRegion) s.setStatus(copy, 'copying');
  const duration = progress.crossRegion ? s.durations.snapshotCopyCrossRegion : s.durations.snapshotCopy;
  scheduleProgress(s, copy, duration);
  s.sched.task(duration, copy, copyFinished(copy));
});

/**
 * `available` (with 0060 / 0197 for DB snapshots), or `failed` when a fault says so or the source was
 * deleted meanwhile ("deleting the source before the copy is available can fail the copy", RDS user
 * guide); the next copy of the lane starts.
 */
const copyFinished = defineTask('snapshot-copy.finished', (s: RdsState, copy: AnySnapshot) => {
  const progress = copy.copying;
  if (!progress) return;
  copy.copying = undefined;
  if (progress.lane !== undefined) startNextInLane(s, progress.lane);
  const owner = s.world.partition({ accountId: progress.sourceAccount, region: progress.sourceRegion });
  const k: CopyKind<AnySnapshot> = copy.kind === 'snapshot' ? INSTANCE_COPY : CLUSTER_COPY;
  const sourceGone = k.store(owner).get(progress.sourceId)?.key !== progress.sourceKey;
  if (progress.fails || sourceGone) {
    s.setStatus(copy, 'failed', sourceGone ? 'source snapshot deleted during the copy' : undefined);
    return;
  }
  copy.percentProgress = 100;
  s.setStatus(copy, 'available');
  if (!k.events) return;
  const simulatedMs = (s.clock.now() - progress.requestedAt) / s.sched.timeScale;
  const minutes = String(Math.max(1, Math.round(simulatedMs / SIMULATED_MINUTE)));
  const name = progress.crossRegion ? 'crossRegionCopyFinished' : 'snapshotCopyFinished';
  s.events.emit('SNAPSHOT', name, copy.id, s.arnOf(copy), {
    source: progress.sourceId,
    region: progress.sourceRegion,
    minutes,
  });
});

function laneOf(x: AnySnapshot): string {
  return x.kind === 'snapshot' ? x.dbiResourceId : x.clusterResourceId;
}

/** The copies in progress in a lane, oldest request first. */
function lane(s: RdsState, name: string): AnySnapshot[] {
  return [...s.snapshots.values(), ...s.clusterSnapshots.values()]
    .filter((x) => x.copying?.lane === name)
    .sort((a, b) => (a.copying as CopyProgress).requestedAt - (b.copying as CopyProgress).requestedAt);
}

/** A cross-region copy's turn: it waits `pending` while RDS queues it, then transfers. */
function start(s: RdsState, copy: AnySnapshot): void {
  (copy.copying as CopyProgress).started = true;
  s.sched.task(s.durations.snapshotCopyQueued, copy, copyTransfer(copy));
}

/** Starts the copy now if no copy of the same source is in progress, else it waits its turn (`pending`). */
function startWhenLaneFree(s: RdsState, copy: AnySnapshot): void {
  const name = (copy.copying as CopyProgress).lane as string;
  if (!lane(s, name).some((x) => x.copying?.started)) start(s, copy);
}

/** The oldest copy still waiting in the lane starts (unless one is in progress). */
function startNextInLane(s: RdsState, name: string): void {
  const copies = lane(s, name);
  if (copies.some((x) => x.copying?.started)) return;
  const next = copies[0];
  if (next) start(s, next);
}

/**
 * Deleting a copy still in progress cancels it (RDS-EVENT-0061 / 0190 for DB snapshots). Returns false
 * when the snapshot is not a copy in progress.
 */
export function cancelCopy(s: RdsState, snap: AnySnapshot): boolean {
  const progress = snap.copying;
  if (!progress) return false;
  s.sched.cancel(snap);
  snap.copying = undefined;
  // A copy still waiting leaves the queue; a running one lets the next start.
  if (progress.lane !== undefined && progress.started) startNextInLane(s, progress.lane);
  if (snap.kind === 'snapshot') {
    s.snapshots.delete(snap.id);
    const event = progress.crossRegion ? 'crossRegionCopyCanceled' : 'snapshotCopyCanceled';
    s.events.emit('SNAPSHOT', event, snap.id, s.arnOf(snap), {
      source: progress.sourceId,
      region: progress.sourceRegion,
    });
  } else {
    s.clusterSnapshots.delete(snap.id);
  }
  s.setStatus(snap, 'deleted', 'copy canceled');
  return true;
}

const INSTANCE_COPY: CopyKind<DbSnapshot> = {
  kind: 'snapshot',
  sourceParam: 'SourceDBSnapshotIdentifier',
  targetParam: 'TargetDBSnapshotIdentifier',
  idMax: SNAPSHOT_ID_MAX,
  store: (s) => s.snapshots,
  exists: (id) => err.snapshotExists(id),
  state: (m) => err.snapshotState(m),
  crossRegionLimit: 20,
  events: true,
  checkSource({ item, crossRegion, crossAccount }) {
    if (crossAccount && crossRegion && item.source.storageEncrypted) {
      throw err.combination(
        'A shared encrypted DB snapshot can only be copied in its own Region: copy it in that Region first, then copy the copy across Regions.',
      );
    }
  },
  build(s, { owner, item, crossRegion }, id, p) {
    const settings = {
      ...item.source,
      processorFeatures: item.source.processorFeatures.map((f) => ({ ...f })),
    };
    const og = p.str('OptionGroupName');
    if (og !== undefined) {
      s.groups.requireOptionGroup(og);
      settings.optionGroup = og;
    } else if (crossRegion) {
      // The source's option group does not exist in the destination: restores there get the default.
      settings.optionGroup = defaultOptionGroup(settings.engine, settings.engineVersion);
    }
    return {
      kind: 'snapshot',
      key: s.nextKey(`snapshot:${id}`),
      id,
      arnId: id,
      status: 'creating',
      tags: [],
      instanceId: item.instanceId,
      dbiResourceId: item.dbiResourceId,
      snapshotType: 'manual',
      createTime: s.clock.date(),
      instanceCreateTime: item.instanceCreateTime,
      percentProgress: 0,
      sourceSnapshot: owner.arnOf(item),
      sourceRegion: owner.identity.region,
      originalCreateTime: item.originalCreateTime ?? item.createTime,
      sharedWith: [],
      source: settings,
    };
  },
};

const CLUSTER_COPY: CopyKind<DbClusterSnapshot> = {
  kind: 'cluster-snapshot',
  sourceParam: 'SourceDBClusterSnapshotIdentifier',
  targetParam: 'TargetDBClusterSnapshotIdentifier',
  idMax: 63,
  store: (s) => s.clusterSnapshots,
  exists: (id) => err.clusterSnapshotExists(id),
  state: (m) => err.clusterSnapshotState(m),
  crossRegionLimit: 5,
  events: false,
  checkSource({ item, crossRegion, crossAccount }, kmsKeyId) {
    if (crossAccount && crossRegion) {
      throw err.combination(
        "You can't copy a DB cluster snapshot across Regions and accounts in a single step: copy the shared snapshot in its Region first, then copy that copy to the other Region.",
      );
    }
    if (!item.source.storageEncrypted && kmsKeyId !== undefined) {
      throw err.value(
        `The DB cluster snapshot ${item.id} is not encrypted: KmsKeyId can't be used to encrypt a cluster snapshot copy; leave it out.`,
      );
    }
  },
  build(s, { owner, item }, id) {
    return {
      kind: 'cluster-snapshot',
      key: s.nextKey(`cluster-snapshot:${id}`),
      id,
      status: 'creating',
      tags: [],
      clusterId: item.clusterId,
      clusterResourceId: item.clusterResourceId,
      snapshotType: 'manual',
      createTime: item.createTime,
      clusterCreateTime: item.clusterCreateTime,
      percentProgress: 0,
      sourceSnapshot: owner.arnOf(item),
      sharedWith: [],
      source: { ...item.source, availabilityZones: s.naming.availabilityZones() },
    };
  },
};

export function copyDBSnapshot(s: RdsState, p: Params): XmlObject {
  return { DBSnapshot: renderSnapshot(s, copySnapshot(s, p, INSTANCE_COPY)) };
}

export function copyDBClusterSnapshot(s: RdsState, p: Params): XmlObject {
  return { DBClusterSnapshot: renderClusterSnapshot(s, copySnapshot(s, p, CLUSTER_COPY)) };
}
