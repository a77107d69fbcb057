import { inboxHandler, startByKind, stepRoutes, waitingByKind, waitingRoutes } from '@rewind/shared';
import { cleanupWait, startCleanup } from './cleanup';
import { clusterCleanupWait, startClusterCleanup } from './clusterCleanup';

/** Cleanup service inbox: deletes the set-aside original (instance, or cluster and members) once the restore is verified. */
export const handler = inboxHandler('cleanup', {
  events: stepRoutes({ cleanup: startByKind({ instance: startCleanup, cluster: startClusterCleanup }) }),
  ...waitingRoutes([waitingByKind({ instance: cleanupWait, cluster: clusterCleanupWait })]),
});
