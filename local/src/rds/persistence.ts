import type { PlaceState } from '../persistence/partitioned';
import type { RdsEventRecord } from './events';
import { taskFunction, type PendingTask } from './lifecycle';
import { RdsState } from './state';

/** Every map of resources the emulator keeps, by name in the dump. */
function resourceMaps(s: RdsState) {
  return {
    instances: s.instances,
    clusters: s.clusters,
    snapshots: s.snapshots,
    clusterSnapshots: s.clusterSnapshots,
    subscriptions: s.subscriptions,
    exportTasks: s.exportTasks,
    parameterGroups: s.groups.parameterGroups,
    clusterParameterGroups: s.groups.clusterParameterGroups,
    optionGroups: s.groups.optionGroups,
    subnetGroups: s.groups.subnetGroups,
  };
}

type Maps = ReturnType<typeof resourceMaps>;

export interface RdsDump {
  maps: { [K in keyof Maps]: Maps[K] };
  keySequence: number;
  /** Where the generator of resource ids, zones and windows stands (ids stay unique after a load). */
  randomPosition: number;
  events: RdsEventRecord[];
  /** Lifecycle steps waiting, with their due times (epoch ms). */
  tasks: PendingTask[];
}

/**
 * One account's RDS in one region: instances, clusters, snapshots, groups, event subscriptions, the
 * DescribeEvents history, and the lifecycle steps in progress: each resumes at its recorded due time
 * (at once if that passed while the cloud was down), so a restore that was `creating` ends `available`
 * with its events. Not kept: injected faults, event quirks and delays in flight, histories and call
 * counts, the throttle bucket (full again).
 */
export const rdsState: PlaceState<{ state: RdsState }, RdsDump> = {
  dump({ state: s }) {
    return {
      maps: resourceMaps(s),
      keySequence: s.keySequence,
      randomPosition: s.random.position,
      events: s.events.all(),
      tasks: s.sched.pendingTasks(),
    };
  },
  load({ state: s }, dump) {
    const unknown = [...new Set(dump.tasks.map((t) => t.task))].filter((name) => !taskFunction(name));
    if (unknown.length > 0) {
      throw new Error(`it names lifecycle steps this version does not know (${unknown.join(', ')})`);
    }
    const maps = resourceMaps(s) as Record<string, Map<string, unknown>>;
    for (const [name, map] of Object.entries(maps)) {
      const entries = (dump.maps as Record<string, Map<string, unknown> | undefined>)[name];
      if (!entries) continue;
      map.clear();
      for (const [k, v] of entries) map.set(k, v);
    }
    s.keySequence = dump.keySequence;
    s.random.position = dump.randomPosition;
    s.events.restore(dump.events);
    s.sched.resume(dump.tasks, (key) => s.ownerOf(key));
    s.dailyBackups.clear();
    for (const t of dump.tasks) if (t.task === 'backup.daily') s.dailyBackups.add(t.key);
    // A state saved before daily backups existed: arm them for the databases that are available.
    for (const res of [...s.instances.values(), ...s.clusters.values()])
      if (res.status === 'available') for (const hook of RdsState.onAvailable) hook(s, res);
    s.refreshAvailability();
  },
};
