import { inboxHandler, startByKind, stepRoutes, waitingByKind, waitingRoutes } from '@rewind/shared';
import { clusterSnapshotWait, startClusterSnapshot } from './clusterSnapshots';
import { snapshotWait, startSnapshot } from './snapshots';

/** Snapshot service inbox: the snapshot step (a DB snapshot of an instance, a cluster snapshot of a cluster). */
export const handler = inboxHandler('snapshot', {
  events: stepRoutes({ snapshot: startByKind({ instance: startSnapshot, cluster: startClusterSnapshot }) }),
  ...waitingRoutes([waitingByKind({ instance: snapshotWait, cluster: clusterSnapshotWait })]),
});
