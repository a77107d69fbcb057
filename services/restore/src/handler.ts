import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { cancel } from './cancel';
import { discard } from './discard';
import { intake } from './intake';
import { restore } from './restoreStep';

/** Restore service inbox: intake of requests and cancels, the restore step, and the discard compensation. */
export const handler = inboxHandler('restore', {
  raw: { RestoreRequested: intake, CancelRequested: cancel },
  events: stepRoutes({ restore: restore.start, discard: discard.start }),
  ...waitingRoutes([restore.wait, discard.wait]),
});
