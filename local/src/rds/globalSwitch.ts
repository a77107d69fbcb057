/**
 * Aurora global database switchover and failover, following aws-facts-copies-dr.md §4c:
 * - SwitchoverGlobalCluster (planned, called in the current primary's region): waits for the target's lag,
 *   shuts the old primary down, promotes the target, keeps the old primary as a secondary; Aurora rolls a
 *   switchover that cannot complete back by itself;
 * - FailoverGlobalCluster with AllowDataLoss (called in the target's region): fences the old primary
 *   (0390, or 0391 when its region is unreachable), promotes the target; the old primary is snapshotted
 *   (`rds:unplanned-global-failover-...`) and rejoins as a secondary once its region is reachable, and every
 *   other secondary is rebuilt;
 * - FailoverState is present until the operation is over; IsWriter stays on the old primary until then.
 */
import type { EventName } from './catalog';
import { startClusterSnapshot } from './clusterSnapshots';
import { err } from './errors';
import {
  emitOn,
  findGlobal,
  locateCluster,
  memberByArn,
  membersOf,
  primaryOf,
  promoteWriterOf,
  renderGlobal,
  type Member,
} from './globals';
import { defineTask } from './lifecycle';
import type { DbGlobalCluster, GlobalMembership } from './model';
import { parseRdsArn } from './naming';
import type { Params, XmlObject } from './protocol';
import type { RdsState } from './state';

function demoteWriterOf(m: Member): void {
  for (const i of m.owner.members(m.cluster.id)) {
    if (i.clusterWriter) {
      i.clusterWriter = false;
      m.owner.note(i, 'read-only: its cluster is a global secondary');
    }
  }
}

/** The target becomes the primary (its best reader writes); the old primary a secondary with no writer. */
function swapRoles(to: Member, from: Member, synchronization: GlobalMembership['synchronization']): void {
  const id = to.cluster.global!.id;
  from.cluster.global = { id, role: 'secondary', synchronization, lagMs: 0 };
  to.cluster.global = { id, role: 'primary', synchronization: 'connected', lagMs: 0 };
  demoteWriterOf(from);
  promoteWriterOf(to);
  from.owner.note(from.cluster, `secondary of global cluster ${id}`);
  to.owner.note(to.cluster, `primary of global cluster ${id}`);
}

export function switchoverGlobalCluster(s: RdsState, p: Params): XmlObject {
  return startSwitch(s, p.req('GlobalClusterIdentifier'), p.req('TargetDbClusterIdentifier'), false);
}

export function failoverGlobalCluster(s: RdsState, p: Params): XmlObject {
  const allowDataLoss = p.bool('AllowDataLoss') === true;
  if (allowDataLoss && p.bool('Switchover') === true) {
    throw err.combination(
      'AllowDataLoss and Switchover cannot be combined: AllowDataLoss fails over (unplanned), Switchover (or neither) switches over (planned).',
    );
  }
  return startSwitch(s, p.req('GlobalClusterIdentifier'), p.req('TargetDbClusterIdentifier'), allowDataLoss);
}

function startSwitch(s: RdsState, globalRef: string, targetRef: string, dataLoss: boolean): XmlObject {
  const { home, g } = findGlobal(s, globalRef);
  if (g.status !== 'available' || g.failover) {
    throw err.globalState(`Global cluster ${g.id} is ${g.status}: wait until it is available.`);
  }
  if (!parseRdsArn(targetRef)) {
    throw err.value(
      `TargetDbClusterIdentifier must be the ARN of a secondary cluster of ${g.id} (arn:aws:rds:<region>:<account>:cluster:<id>), so that Aurora can find it in its Region.`,
    );
  }
  const target = locateCluster(s, targetRef);
  const primary = primaryOf(membersOf(s, g));
  if (target.cluster.global?.id !== g.id) {
    throw err.combination(`DB cluster ${target.cluster.id} is not a member of global cluster ${g.id}.`);
  }
  if (!primary) throw err.globalState(`Global cluster ${g.id} has no primary cluster.`);
  if (target.cluster === primary.cluster) {
    throw err.combination(
      `DB cluster ${target.cluster.id} is already the primary of global cluster ${g.id}.`,
    );
  }
  const operation = dataLoss ? 'FailoverGlobalCluster with AllowDataLoss' : 'a switchover';
  const callRegion = dataLoss ? target.owner.identity.region : primary.owner.identity.region;
  if (s.identity.region !== callRegion) {
    throw err.value(
      dataLoss
        ? `Call ${operation} in ${callRegion}, the Region of the secondary cluster being promoted (${target.cluster.id}), not in ${s.identity.region}.`
        : `Call ${operation} (SwitchoverGlobalCluster) in ${callRegion}, the Region of the current primary cluster ${primary.cluster.id}, not in ${s.identity.region}.`,
    );
  }
  if (target.cluster.status !== 'available') {
    throw err.clusterState(
      `DB cluster ${target.cluster.id} is not in available state (it is ${target.cluster.status}).`,
    );
  }
  if (!target.owner.members(target.cluster.id).some((i) => i.status === 'available')) {
    throw err.clusterState(
      `DB cluster ${target.cluster.id} has no available DB instance (a headless secondary): add one with CreateDBInstance --db-cluster-identifier ${target.cluster.id} before switching or failing over to it.`,
    );
  }
  if (!dataLoss && target.cluster.global.synchronization !== 'connected') {
    throw err.clusterState(
      `DB cluster ${target.cluster.id} is still resynchronizing (pending-resync) after a failover: wait until it is connected.`,
    );
  }
  g.failover = {
    status: 'pending',
    fromArn: primary.owner.arnOf(primary.cluster),
    toArn: target.owner.arnOf(target.cluster),
    dataLoss,
  };
  const outcome = s.faults.takeOperation(dataLoss ? 'global-failover' : 'global-switchover', g.id) ?? '';
  home.setStatus(g, dataLoss ? 'failing-over' : 'switching-over', `to ${target.cluster.id}`);
  if (dataLoss) {
    if (outcome !== 'stuck')
      home.sched.task(home.durations.globalFailoverFence, g, failoverFenced(g, { outcome }));
  } else {
    emitOn(target, 'globalSwitchoverStarted');
    const lag = target.cluster.global.lagMs;
    if (lag > 0) emitOn(target, 'globalTargetSyncWaiting', { lag: `${lag} milliseconds` });
    if (outcome !== 'stuck') {
      home.sched.task(home.durations.globalSwitchoverSync + lag, g, switchoverShutDown(g, { outcome }));
    }
  }
  return { GlobalCluster: renderGlobal(s, g) };
}

type Step = { outcome: string };

/** The two sides of the operation in progress, or undefined (and the operation abandoned) when one is gone. */
function sides(s: RdsState, g: DbGlobalCluster): { from: Member; to: Member } | undefined {
  const from = g.failover && memberByArn(s, g.failover.fromArn);
  const to = g.failover && memberByArn(s, g.failover.toArn);
  if (from && to) return { from, to };
  s.log(`global cluster ${g.id}: a member of the ${g.status} is gone; the operation ends`);
  endOperation(s, g);
  return undefined;
}

function endOperation(s: RdsState, g: DbGlobalCluster): void {
  g.failover = undefined;
  g.writerEndpointDown = false;
  s.setStatus(g, 'available');
}

/** The operation ends without a change: its event on the target, `available` again. */
function failWith(s: RdsState, g: DbGlobalCluster, target: Member, event: EventName): void {
  emitOn(target, event);
  endOperation(s, g);
}

/** The target writes (roles swapped, its event), and the global writer endpoint resolves to it (0397). */
function promoteTarget(
  s: RdsState,
  g: DbGlobalCluster,
  both: { from: Member; to: Member },
  synchronization: GlobalMembership['synchronization'],
  event: EventName,
): void {
  swapRoles(both.to, both.from, synchronization);
  emitOn(both.to, event);
  g.writerEndpointDown = false;
  s.note(g, `global writer endpoint -> ${both.to.cluster.id}`);
  emitOn(both.to, 'globalWriterEndpointChanged');
}

const switchoverShutDown = defineTask(
  'global.switchover-shut-down',
  (s: RdsState, g: DbGlobalCluster, a: Step) => {
    const both = sides(s, g);
    if (!both) return;
    g.failover!.status = 'switching-over';
    g.writerEndpointDown = true;
    emitOn(both.from, 'globalOldPrimaryShutDown');
    s.note(g, `old primary ${both.from.cluster.id} read-only`);
    s.sched.task(s.durations.globalSwitchoverPromote, g, switchoverPromoted(g, a));
  },
);

const switchoverPromoted = defineTask(
  'global.switchover-promoted',
  (s: RdsState, g: DbGlobalCluster, a: Step) => {
    const both = sides(s, g);
    if (!both) return;
    if (a.outcome === 'rollback') {
      g.failover!.status = 'cancelling';
      s.note(g, 'the switchover cannot complete: rolling back');
      s.sched.task(s.durations.globalSwitchoverRollback, g, switchoverRolledBack(g));
      return;
    }
    if (a.outcome === 'failed') return failWith(s, g, both.to, 'globalSwitchoverFailed');
    promoteTarget(s, g, both, 'connected', 'globalNewPrimaryPromoted');
    s.sched.task(s.durations.globalSwitchoverFinish, g, switchoverFinished(g));
  },
);

const switchoverFinished = defineTask('global.switchover-finished', (s: RdsState, g: DbGlobalCluster) => {
  const both = sides(s, g);
  if (!both) return;
  emitOn(both.to, 'globalSwitchoverFinished');
  endOperation(s, g);
});

const switchoverRolledBack = defineTask(
  'global.switchover-rolled-back',
  (s: RdsState, g: DbGlobalCluster) => {
    const both = sides(s, g);
    if (!both) return;
    emitOn(both.to, 'globalSwitchoverCancelled');
    endOperation(s, g);
  },
);

const failoverFenced = defineTask('global.failover-fenced', (s: RdsState, g: DbGlobalCluster, a: Step) => {
  const both = sides(s, g);
  if (!both) return;
  g.failover!.status = 'failing-over';
  g.writerEndpointDown = true;
  // Write fencing is best effort: recorded on the old primary if reachable, else on the new one.
  if (s.world.reachable(both.from.owner.identity.region)) emitOn(both.from, 'globalWritesBlocked');
  else
    emitOn(both.to, 'globalWriteBlockTimedOut', {
      cluster: both.from.cluster.id,
      region: both.from.owner.identity.region,
    });
  s.sched.task(s.durations.globalFailoverPromote, g, failoverPromoted(g, a));
});

const failoverPromoted = defineTask(
  'global.failover-promoted',
  (s: RdsState, g: DbGlobalCluster, a: Step) => {
    const both = sides(s, g);
    if (!both) return;
    if (a.outcome === 'failed') return failWith(s, g, both.to, 'globalFailoverFailed');
    promoteTarget(s, g, both, 'pending-resync', 'globalFailoverCompleted');
    endOperation(s, g);
    // "Aurora automatically rebuilds all additional secondary Region clusters": pending-resync until rebuilt.
    for (const m of membersOf(s, g)) {
      if (m.cluster === both.to.cluster || m.cluster === both.from.cluster || !m.cluster.global) continue;
      m.cluster.global.synchronization = 'pending-resync';
      m.owner.note(m.cluster, `rebuilding after the global failover to ${both.to.cluster.id}`);
      startResync(s, g);
      s.sched.task(
        s.durations.globalRejoin,
        g,
        rejoined(g, { region: m.owner.identity.region, clusterKey: m.cluster.key }),
      );
    }
    const pending = { region: both.from.owner.identity.region, clusterKey: both.from.cluster.key };
    if (s.world.reachable(pending.region)) startRejoin(s, g, pending);
    else g.rejoinPending = [...(g.rejoinPending ?? []), pending];
  },
);

/** RDS-EVENT-0240 on the primary, once per round of resynchronisation. */
function startResync(s: RdsState, g: DbGlobalCluster): void {
  if (g.resyncing) return;
  g.resyncing = true;
  const primary = primaryOf(membersOf(s, g));
  if (primary) emitOn(primary, 'globalResyncStarted');
}

function clusterByKey(s: RdsState, where: { region: string; clusterKey: string }): Member | undefined {
  const owner = s.world.partition({ accountId: s.identity.accountId, region: where.region });
  const cluster = owner.byKey(where.clusterKey);
  return cluster?.kind === 'cluster' ? { owner, cluster } : undefined;
}

/**
 * The old primary rejoins as a secondary: Aurora first snapshots its volume
 * (`rds:unplanned-global-failover-<cluster>-<time>`, an automated snapshot kept for the old cluster's backup
 * retention), then resynchronises it (0240 ... 0241 on the new primary).
 */
function startRejoin(s: RdsState, g: DbGlobalCluster, where: { region: string; clusterKey: string }): void {
  const old = clusterByKey(s, where);
  if (!old || old.cluster.global?.id !== g.id) return;
  const iso = new Date().toISOString();
  const stamp = `${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}`;
  const id = `rds:unplanned-global-failover-${old.cluster.id}-${stamp}`;
  if (!old.owner.clusterSnapshots.has(id))
    startClusterSnapshot(old.owner, old.cluster, { id, type: 'automated', tags: [] });
  startResync(s, g);
  s.sched.task(s.durations.globalRejoin, g, rejoined(g, where));
}

const rejoined = defineTask(
  'global.rejoined',
  (s: RdsState, g: DbGlobalCluster, where: { region: string; clusterKey: string }) => {
    const old = clusterByKey(s, where);
    if (!old || old.cluster.global?.id !== g.id) return;
    old.cluster.global.synchronization = 'connected';
    old.owner.note(old.cluster, `resynchronized with global cluster ${g.id}`);
    // RDS-EVENT-0241 once every member is connected again.
    const members = membersOf(s, g);
    if (!g.resyncing || members.some((m) => m.cluster.global?.synchronization !== 'connected')) return;
    g.resyncing = false;
    const primary = primaryOf(members);
    if (primary) emitOn(primary, 'globalResyncFinished');
  },
);

/** A region is reachable again: old primaries waiting there rejoin their global clusters. */
export function regionRecovered(states: RdsState[], region: string): void {
  for (const home of states) {
    for (const g of home.globalClusters.values()) {
      const waiting = (g.rejoinPending ?? []).filter((w) => w.region === region);
      if (waiting.length === 0) continue;
      g.rejoinPending = (g.rejoinPending ?? []).filter((w) => w.region !== region);
      for (const w of waiting) startRejoin(home, g, w);
    }
  }
}
