/** The EventBridge emulator: AWS JSON 1.1 front, in-process bus ingress, admin API. */
import type {
  BusIngress,
  EmulatedService,
  InternalBusEntry,
  LocalIdentity,
  LocalRequest,
  LocalResponse,
} from '../types';
import { handleAdmin } from './admin';
import { Archives } from './archive';
import { busOperations } from './busOps';
import { makeEnvelope } from './envelope';
import { EventsError } from './errors';
import type { Stats } from './model';
import type { Handlers } from './operations';
import { eventBridgeState } from './persistence';
import { decodeRequest, errorResponse, okResponse } from './protocol';
import { putEventsOperation } from './putEvents';
import { Replays } from './replay';
import { Router, type DeliveryOptions, type SqsSender } from './router';
import { ruleOperations } from './ruleOps';
import { EventBridgeState } from './state';
import { targetOperations } from './targetOps';

export interface EventBridgeOptions {
  identity: LocalIdentity;
  sqs: SqsSender;
  log?: (line: string) => void;
  /** Delivery tuning (concurrency, retry back-off, recent-event buffer). */
  delivery?: DeliveryOptions;
}

export interface EventBridgeEmulator extends EmulatedService, BusIngress {
  readonly signingNames: readonly ['events'];
  readonly adminPrefix: 'events';
  admin(req: LocalRequest, subpath: string): Promise<LocalResponse>;
  close(): Promise<void>;
  /** Resolves when every queued delivery (including retries) has finished. */
  whenIdle(): Promise<void>;
  stats(): Stats;
}

export function createEventBridge(opts: EventBridgeOptions): EventBridgeEmulator {
  const log = opts.log ?? (() => undefined);
  const state = new EventBridgeState(opts.identity);
  const archives = new Archives(state);
  const router = new Router(
    state,
    opts.sqs,
    log,
    (busArn, event) => archives.record(busArn, event),
    opts.delivery,
  );
  const replays = new Replays(state, archives, router);
  const handlers: Handlers = {
    ...busOperations(state),
    ...ruleOperations(state),
    ...targetOperations(state),
    ...putEventsOperation(state, router),
    ...archives.operations(),
    ...replays.operations(),
  };

  return {
    signingNames: ['events'],
    adminPrefix: 'events',

    async handle(req) {
      try {
        const { op, input } = decodeRequest(req);
        const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
        if (!handler)
          throw new EventsError(
            'UnknownOperationException',
            `Operation ${op} is not supported by the local EventBridge.`,
          );
        return okResponse(await handler(input));
      } catch (err) {
        if (err instanceof EventsError) return errorResponse(err);
        log(`events: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return errorResponse(
          new EventsError('InternalException', 'Internal error in the local EventBridge.', 500),
        );
      }
    },

    async admin(req, subpath) {
      return handleAdmin(state, router, req, subpath);
    },

    async putInternal(busName: string, entries: InternalBusEntry[]) {
      const bus = state.bus(busName);
      for (const e of entries) {
        router.route(bus.name, makeEnvelope(state.identity, e));
        state.stats.entriesAccepted++;
      }
    },

    persistence: eventBridgeState(state, archives, replays, router),
    whenIdle: () => router.idle(),
    stats: () => ({ ...state.stats }),

    async close() {
      replays.close();
      router.close();
    },
  };
}
