import type { PlaceState } from '../persistence/partitioned';
import type { Archives } from './archive';
import type { Archive, Bus, Replay, Stats } from './model';
import type { Replays } from './replay';
import type { PendingDelivery, Router } from './router';
import type { EventBridgeState } from './state';

export interface EventBridgeDump {
  buses: Bus[];
  archives: Archive[];
  replays: Replay[];
  deliveries: PendingDelivery[];
  stats: Stats;
}

/** One account's EventBridge in one region. */
export interface EventBridgeParts {
  state: EventBridgeState;
  archives: Archives;
  replays: Replays;
  router: Router;
}

/**
 * Buses with their rules, targets and policies, archives with their events, replays, counters, and the
 * deliveries not finished yet (with their retry count and due time), of one account in one region. A
 * replay that was running when the state was saved ends FAILED on load: replays are not resumed.
 */
export const eventBridgeState: PlaceState<EventBridgeParts, EventBridgeDump> = {
  dump({ state, archives, replays, router }) {
    return {
      buses: [...state.buses.values()],
      archives: [...archives.byName.values()],
      replays: [...replays.byName.values()],
      deliveries: router.pendingDeliveries(),
      stats: state.stats,
    };
  },
  load({ state, archives, replays, router }, dump) {
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
