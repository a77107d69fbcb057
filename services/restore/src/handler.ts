import { inboxHandler, stepRoutes, waitingRoutes, type InboxRoutes } from '@rewind/shared';
import { cancel } from './cancel';
import { discard } from './discard';
import { intake } from './intake';
import { restore, restoreBeside } from './restoreStep';

/** What the restore service's inbox takes: requests and cancels, the restore steps (in place and beside), the discard compensation. */
export const routes: InboxRoutes = {
  raw: { RestoreRequested: intake, CancelRequested: cancel },
  events: stepRoutes({
    restore: restore.start,
    'restore-beside': restoreBeside.start,
    discard: discard.start,
  }),
  ...waitingRoutes([restore.wait, restoreBeside.wait, discard.wait]),
};

/** Restore service inbox. */
export const handler = inboxHandler('restore', routes);
