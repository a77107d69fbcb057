import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { cleanupWait, startCleanup } from './cleanup';

/** Cleanup service inbox: deletes the set-aside original once the restore is verified. */
export const handler = inboxHandler('cleanup', {
  events: stepRoutes({ cleanup: startCleanup }),
  ...waitingRoutes([cleanupWait]),
});
