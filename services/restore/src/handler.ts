import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { startDiscard, discardWait } from './discard';
import { intake } from './intake';
import { restoreWait, startRestore } from './restoreStep';

/** Restore service inbox: intake of requests, the restore step, and the discard compensation. */
export const handler = inboxHandler('restore', {
  raw: { RestoreRequested: intake },
  events: stepRoutes({ restore: startRestore, discard: startDiscard }),
  ...waitingRoutes([restoreWait, discardWait]),
});
