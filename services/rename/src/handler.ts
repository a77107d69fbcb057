import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { renameBack } from './renameBack';
import { setAside } from './setAside';
import { takeName } from './takeName';

/** Rename service inbox: set-aside, take-name (swap) and the rename-back compensation (the kind decides the operations). */
export const handler = inboxHandler('rename', {
  events: stepRoutes({
    'set-aside': setAside.start,
    'take-name': takeName.start,
    'rename-back': renameBack.start,
  }),
  ...waitingRoutes([setAside.wait, takeName.wait, renameBack.wait]),
});
