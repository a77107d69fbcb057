// SKELETON (to be replaced by the source-side implementation): signatures only.
import type { Envelope, EventDetail, RdsEvent, ServiceContext } from '@rewind/shared';
import type { ReplicationDeps } from './deps';

export const SOURCE_CHECK_TYPE = 'ReplicationSourceCheck';

export async function onReplicationRequested(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _detail: EventDetail<'ReplicationRequested'>,
  _envelope: Envelope,
): Promise<void> {
  throw new Error('not built yet');
}

export async function onSourceCheck(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _raw: unknown,
): Promise<void> {
  throw new Error('not built yet');
}

export async function onPeerAnswer(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _name: 'ReplicationReceived' | 'ReplicationCompleted' | 'ReplicationFailed',
  _detail: EventDetail<'ReplicationReceived' | 'ReplicationCompleted' | 'ReplicationFailed'>,
  _envelope: Envelope,
): Promise<void> {
  throw new Error('not built yet');
}

export async function onBounced(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _detail: EventDetail<'SnapshotShared'>,
  _envelope: Envelope,
): Promise<void> {
  throw new Error('not built yet');
}

export async function onSourceRdsEvent(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _event: RdsEvent,
): Promise<void> {
  throw new Error('not built yet');
}
