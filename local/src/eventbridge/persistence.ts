import type { ServiceState } from '../types';
import type { Archives } from './archive';
import type { Archive, Bus, Replay, Stats } from './model';
import type { Replays } from './replay';
import type { PendingDelivery, Router } from './router';
import type { EventBridgeState } from './state';

interface EventBridgeDump {
  buses: Bus[];
  archives: Archive[];
  replays: Replay[];
  deliveries: PendingDelivery[];
  stats: Stats;
}

/**
 * Buses with their rules and targets, archives with their events, replays, counters, and the
 * deliveries not finished yet (with their retry count and due time). A replay that was running when
 * the state was saved ends FAILED on load: replays are not resumed.
 */
export function eventBridgeState(
  state: EventBridgeState,
  archives: Archives,
  replays: Replays,
  router: Router,
): ServiceState {
  return {
    key: 'events',
    dump(): EventBridgeDump {
      return {
        buses: [...state.buses.values()],
        archives: [...archives.byName.values()],
        replays: [...replays.byName.values()],
        deliveries: router.pendingDeliveries(),
        stats: state.stats,
      };
    },
    load(saved) {
      const dump = saved as EventBridgeDump;
      state.buses.clear();
      for (const bus of dump.buses) state.buses.set(bus.name, bus);
      for (const archive of dump.archives) archives.byName.set(archive.name, archive);
      for (const replay of dump.replays) {
        if (replay.state === 'STARTING' || replay.state === 'RUNNING') {
          replay.state = 'FAILED';
          replay.stateReason = 'The local cloud stopped during the replay; start it again.';
        }
        replays.byName.set(replay.name, replay);
      }
      Object.assign(state.stats, dump.stats);
      router.resumeDeliveries(dump.deliveries);
    },
  };
}
