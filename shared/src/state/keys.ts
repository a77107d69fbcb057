import type { Kind } from '../contracts/run';
import type { ResourceKind } from './types';

/** Table keys, built in one place (design: "State"). */
/** Idempotency keys of requests: by requestId, or by the EventBridge event id when there is none. */
export const idempotencyKey = {
  request: (requestId: string) => `request:${requestId}`,
  event: (eventId: string) => `event:${eventId}`,
};

export const keys = {
  run: (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' }),
  logPrefix: 'LOG#',
  log: (runId: string, at: string, seq: string) => ({ pk: `RUN#${runId}`, sk: `LOG#${at}#${seq}` }),
  lock: (kind: Kind, identifier: string) => ({ pk: `LOCK#${kind}#${identifier}`, sk: 'LOCK' }),
  resource: (kind: ResourceKind, name: string) => ({ pk: `RES#${kind}#${name}`, sk: 'RES' }),
  request: (requestId: string) => ({ pk: `REQ#${requestId}`, sk: 'REQ' }),
  notification: (id: string) => ({ pk: `NOTIFY#${id}`, sk: 'NOTIFY' }),
  statusIndex: (status: string, at: string, runId: string) => ({
    gsi1pk: `STATUS#${status}`,
    gsi1sk: `${at}#${runId}`,
  }),
};
