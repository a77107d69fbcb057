// SKELETON (to be replaced by the destination-side implementation): signatures only.
import type { Envelope, EventDetail, RdsEvent, ServiceContext } from '@rewind/shared';
import type { ReplicationDeps } from './deps';

export const DESTINATION_CHECK_TYPE = 'ReplicationDestinationCheck';

export async function onSnapshotShared(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _detail: EventDetail<'SnapshotShared'>,
  _envelope: Envelope,
): Promise<void> {
  throw new Error('not built yet');
}

export async function onDestinationCheck(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _raw: unknown,
): Promise<void> {
  throw new Error('not built yet');
}

export async function onRunEvent<
  N extends 'RunStarted' | 'RequestRepeated' | 'RestoreRejected' | 'RunCompleted' | 'RunFailed',
>(_ctx: ServiceContext, _deps: ReplicationDeps, _name: N, _detail: EventDetail<N>): Promise<void> {
  throw new Error('not built yet');
}

export async function onDestinationRdsEvent(
  _ctx: ServiceContext,
  _deps: ReplicationDeps,
  _event: RdsEvent,
): Promise<void> {
  throw new Error('not built yet');
}
