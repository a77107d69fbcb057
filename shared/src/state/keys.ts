import type { AddressKind } from '../contracts/address';
import type { Kind } from '../contracts/run';
import type { ResourceKind } from './types';

/** Table keys, built in one place (design: "State"). */
/**
 * Idempotency keys of intake. `event`: every delivered `RestoreRequested` event, mapped to the run that
 * answers it (a new run, a rejection, or the earlier run a repeated request points at): a duplicate
 * delivery is answered once, and a sender can find the answer to its own event by the EventId PutEvents
 * returned. `request`: a requestId, scoped by database, held by an accepted run (a rejection releases it).
 */
export const idempotencyKey = {
  request: (kind: Kind, identifier: string, requestId: string) =>
    `request:${kind}:${identifier}:${requestId}`,
  event: (eventId: string) => `event:${eventId}`,
  /** A DR request's requestId: one per deployment (a plan spans databases). */
  dr: (requestId: string) => `dr:${requestId}`,
};

export const keys = {
  run: (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' }),
  logPrefix: 'LOG#',
  log: (runId: string, at: string, seq: string) => ({ pk: `RUN#${runId}`, sk: `LOG#${at}#${seq}` }),
  /** `scope`: `addressScope` of the resource's address ('' at home). */
  lock: (kind: AddressKind, identifier: string, scope = '') => ({
    pk: `LOCK#${scope}${kind}#${identifier}`,
    sk: 'LOCK',
  }),
  resource: (kind: ResourceKind, name: string, scope = '') => ({
    pk: `RES#${scope}${kind}#${name}`,
    sk: 'RES',
  }),
  request: (requestId: string) => ({ pk: `REQ#${requestId}`, sk: 'REQ' }),
  notification: (id: string) => ({ pk: `NOTIFY#${id}`, sk: 'NOTIFY' }),
  statusIndex: (status: string, at: string, runId: string) => ({
    gsi1pk: `STATUS#${status}`,
    gsi1sk: `${at}#${runId}`,
  }),
};
