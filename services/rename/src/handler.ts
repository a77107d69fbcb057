import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { renameBackWait, setAsideWait, startRenameBack, startSetAside } from './renames';

/** Rename service inbox: set-aside and the rename-back compensation. */
export const handler = inboxHandler('rename', {
  events: stepRoutes({ 'set-aside': startSetAside, 'rename-back': startRenameBack }),
  ...waitingRoutes([setAsideWait, renameBackWait]),
});
