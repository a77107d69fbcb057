import { inboxHandler, stepRoutes, waitingRoutes, type InboxRoutes } from '@rewind/shared';
import { cleanup } from './cleanup';

/** What the cleanup inbox takes: the cleanup step's start, and its RDS events and deadline checks. */
export const routes: InboxRoutes = {
  events: stepRoutes({ cleanup: cleanup.start }),
  ...waitingRoutes([cleanup.wait]),
};

/** Cleanup service inbox: deletes the set-aside original (instance, or cluster and members) once the restore is verified. */
export const handler = inboxHandler('cleanup', routes);
