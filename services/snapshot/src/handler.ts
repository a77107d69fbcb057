import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { snapshotWait, startSnapshot } from './snapshots';

/** Snapshot service inbox: the snapshot step. */
export const handler = inboxHandler('snapshot', {
  events: stepRoutes({ snapshot: startSnapshot }),
  ...waitingRoutes([snapshotWait]),
});
