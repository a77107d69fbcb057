import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { snapshot } from './snapshots';

/** Snapshot service inbox: the snapshot step (a DB snapshot of an instance, a cluster snapshot of a cluster). */
export const handler = inboxHandler('snapshot', {
  events: stepRoutes({ snapshot: snapshot.start }),
  ...waitingRoutes([snapshot.wait]),
});
