import { inboxHandler, startByKind, stepRoutes, waitingByKind, waitingRoutes } from '@rewind/shared';
import {
  clusterRenameBackWait,
  clusterSetAsideWait,
  startClusterRenameBack,
  startClusterSetAside,
} from './clusterRenames';
import { renameBackWait, setAsideWait, startRenameBack, startSetAside } from './renames';

/** Rename service inbox: set-aside and the rename-back compensation, for instances and clusters. */
export const handler = inboxHandler('rename', {
  events: stepRoutes({
    'set-aside': startByKind({ instance: startSetAside, cluster: startClusterSetAside }),
    'rename-back': startByKind({ instance: startRenameBack, cluster: startClusterRenameBack }),
  }),
  ...waitingRoutes([
    waitingByKind({ instance: setAsideWait, cluster: clusterSetAsideWait }),
    waitingByKind({ instance: renameBackWait, cluster: clusterRenameBackWait }),
  ]),
});
