import { inboxHandler, type Envelope, type EventDetail, type ServiceContext } from '@rewind/shared';
import { replicationDeps } from './deps';
import {
  DESTINATION_CHECK_TYPE,
  onDestinationCheck,
  onDestinationRdsEvent,
  onRunEvent,
  onSnapshotShared,
} from './destination';
import {
  onBounced,
  onPeerAnswer,
  onRawReplicationRequested,
  onSourceCheck,
  onSourceRdsEvent,
  SOURCE_CHECK_TYPE,
} from './source';

type Answer = 'ReplicationReceived' | 'ReplicationCompleted' | 'ReplicationFailed';
type RunEvent = 'RunStarted' | 'RequestRepeated' | 'RestoreRejected' | 'RunCompleted' | 'RunFailed';

/** An answer of a destination account, forwarded to this (source) account's bus: not one of our own. */
function answer<N extends Answer>(name: N) {
  return (detail: EventDetail<N>, envelope: Envelope, ctx: ServiceContext) => {
    const deps = replicationDeps(ctx);
    if (detail.sourceAccount !== deps.accountId || envelope.account === deps.accountId)
      return Promise.resolve();
    return onPeerAnswer(ctx, deps, name, detail, envelope);
  };
}

function runEvent<N extends RunEvent>(name: N) {
  return (detail: EventDetail<N>, _envelope: Envelope, ctx: ServiceContext) =>
    onRunEvent(ctx, replicationDeps(ctx), name, detail);
}

/**
 * Replication service inbox. Source account: firings and requests, its deadline checks, the answers of
 * destination accounts, and its own announcements dead-lettered by a destination bus that refused them.
 * Destination account: shared snapshots announced to it, its deadline checks, the restore runs it starts.
 * Both: RDS snapshot events.
 */
export const handler = inboxHandler('replication', {
  events: {
    SnapshotShared: (detail, envelope, ctx) => {
      const deps = replicationDeps(ctx);
      if (envelope.deadLettered) return onBounced(ctx, deps, detail, envelope);
      // Our own announcement, seen on our bus on its way to the destination's: nothing to do here.
      if (detail.destinationAccount !== deps.accountId) return Promise.resolve();
      return onSnapshotShared(ctx, deps, detail, envelope);
    },
    ReplicationReceived: answer('ReplicationReceived'),
    ReplicationCompleted: answer('ReplicationCompleted'),
    ReplicationFailed: answer('ReplicationFailed'),
    RunStarted: runEvent('RunStarted'),
    RequestRepeated: runEvent('RequestRepeated'),
    RestoreRejected: runEvent('RestoreRejected'),
    RunCompleted: runEvent('RunCompleted'),
    RunFailed: runEvent('RunFailed'),
  },
  raw: {
    // Raw: a malformed request is answered with a reason, never sent to the DLQ as poison.
    ReplicationRequested: (detail, envelope, ctx) =>
      onRawReplicationRequested(ctx, replicationDeps(ctx), detail, envelope),
    [SOURCE_CHECK_TYPE]: (detail, _envelope, ctx) => onSourceCheck(ctx, replicationDeps(ctx), detail),
    [DESTINATION_CHECK_TYPE]: (detail, _envelope, ctx) =>
      onDestinationCheck(ctx, replicationDeps(ctx), detail),
  },
  rds: async (rdsEvent, _envelope, ctx) => {
    const deps = replicationDeps(ctx);
    await onSourceRdsEvent(ctx, deps, rdsEvent);
    await onDestinationRdsEvent(ctx, deps, rdsEvent);
  },
});
