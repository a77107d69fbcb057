import { inboxHandler, stepRoutes, waitingRoutes, type InboxRoutes } from '@rewind/shared';
import { cancel } from './cancel';
import { discard } from './discard';
import { intake } from './intake';
import { restore, restoreBeside, restoreNew } from './restoreStep';

/** What the restore service's inbox takes: requests and cancels, the restore steps (in place, beside for a swap, new for a clone), the discard compensation. */
export const routes: InboxRoutes = {
  raw: { RestoreRequested: intake, CancelRequested: cancel },
  events: stepRoutes({
    restore: restore.start,
    'restore-beside': restoreBeside.start,
    'restore-new': restoreNew.start,
    discard: discard.start,
  }),
  ...waitingRoutes([restore.wait, restoreBeside.wait, restoreNew.wait, discard.wait]),
};

/** Restore service inbox. */
export const handler = inboxHandler('restore', routes);
