import { inboxHandler } from '@rewind/shared';
import { lifecycleDeps } from './deps';
import { CHECK_TYPE, onCheck, onFiring, onRdsEvent } from './lifecycle';

/**
 * Lifecycle service inbox: firings of snapshot policies, its own deadline checks, and RDS snapshot events.
 */
export const handler = inboxHandler('lifecycle', {
  events: { SnapshotPolicyFired: (fired, _envelope, ctx) => onFiring(ctx, lifecycleDeps(ctx), fired) },
  raw: { [CHECK_TYPE]: (detail, _envelope, ctx) => onCheck(ctx, lifecycleDeps(ctx), detail) },
  rds: (rdsEvent, _envelope, ctx) => onRdsEvent(ctx, lifecycleDeps(ctx), rdsEvent),
});
