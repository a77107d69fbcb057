import { inboxHandler, stepRoutes, waitingRoutes, type InboxRoutes } from '@rewind/shared';
import { cancel } from './cancel';
import { discard } from './discard';
import { intake } from './intake';
import { restore, restoreNew } from './restoreStep';

/** What the restore service's inbox takes: requests and cancels, the restore and clone (restore-new) steps, the discard compensation. */
export const routes: InboxRoutes = {
  raw: { RestoreRequested: intake, CancelRequested: cancel },
  events: stepRoutes({
    restore: restore.start,
    'restore-new': restoreNew.start,
    discard: discard.start,
  }),
  ...waitingRoutes([restore.wait, restoreNew.wait, discard.wait]),
};

/** Restore service inbox. */
export const handler = inboxHandler('restore', routes);
