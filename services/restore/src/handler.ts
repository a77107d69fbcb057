import { inboxHandler, startByKind, stepRoutes, waitingByKind, waitingRoutes } from '@rewind/shared';
import { clusterDiscardWait, startClusterDiscard } from './clusterDiscard';
import { clusterRestoreWait, startClusterRestore } from './clusterRestore';
import { startDiscard, discardWait } from './discard';
import { cancel } from './cancel';
import { intake } from './intake';
import { restoreWait, startRestore } from './restoreStep';

/** Restore service inbox: intake of requests and cancels, the restore step, and the discard compensation. */
export const handler = inboxHandler('restore', {
  raw: { RestoreRequested: intake, CancelRequested: cancel },
  events: stepRoutes({
    restore: startByKind({ instance: startRestore, cluster: startClusterRestore }),
    discard: startByKind({ instance: startDiscard, cluster: startClusterDiscard }),
  }),
  ...waitingRoutes([
    waitingByKind({ instance: restoreWait, cluster: clusterRestoreWait }),
    waitingByKind({ instance: discardWait, cluster: clusterDiscardWait }),
  ]),
});
