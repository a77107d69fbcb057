import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { renameBack } from './renameBack';
import { setAside } from './setAside';

/** Rename service inbox: set-aside and the rename-back compensation (the operations depend on the kind). */
export const handler = inboxHandler('rename', {
  events: stepRoutes({ 'set-aside': setAside.start, 'rename-back': renameBack.start }),
  ...waitingRoutes([setAside.wait, renameBack.wait]),
});
