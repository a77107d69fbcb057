/**
 * The EventBridge emulator: AWS JSON 1.1 front, in-process bus ingress, admin API. Each account has
 * its own buses, rules, archives and replays in each region (the caller's SigV4 scope and access key
 * choose them); a rule may target a bus of another account or region when that bus's resource policy
 * allows the rule's account (`permissions.ts`).
 */
import type { CloudClock } from '../clock';
import { Partitions, resolveCaller, type IdentityOptions } from '../edge/identity';
import { partitionedState } from '../persistence/partitioned';
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
import { busNotFound, EventsError } from './errors';
import { parseBusArn, type Stats } from './model';
import type { Handlers } from './operations';
import { busAccepts, permissionOperations } from './permissions';
import { eventBridgeState, type EventBridgeParts } from './persistence';
import { decodeRequest, errorResponse, okResponse } from './protocol';
import { putEventsOperation } from './putEvents';
import { Replays } from './replay';
import {
  PermanentDeliveryError,
  Router,
  type DeliveryOptions,
  type RemoteBusDelivery,
  type SqsSender,
} from './router';
import { ruleOperations } from './ruleOps';
import { EventBridgeState } from './state';
import { targetOperations } from './targetOps';

export interface EventBridgeOptions {
  /** The default account and region. */
  identity: LocalIdentity;
  /** Access key id -> account id, for requests that did not come through the edge. */
  accounts?: IdentityOptions['accounts'];
  sqs: SqsSender;
  log?: (line: string) => void;
  /** The cloud clock (default: its own). */
  clock?: CloudClock;
  /** Delivery tuning (concurrency, retry back-off, recent-event buffer). */
  delivery?: DeliveryOptions;
}

export interface EventBridgeEmulator extends EmulatedService, BusIngress {
  readonly signingNames: readonly ['events'];
  readonly adminPrefix: 'events';
  admin(req: LocalRequest, subpath: string): Promise<LocalResponse>;
  close(): Promise<void>;
  /** Resolves when every queued delivery (including retries), in every account and region, has finished. */
  whenIdle(): Promise<void>;
  /** Counters of the default account and region (or of `where`). */
  stats(where?: Partial<LocalIdentity>): Stats;
}

/** One account's EventBridge in one region. */
interface EventBridgePartition extends EventBridgeParts {
  handlers: Handlers;
}

export function createEventBridge(opts: EventBridgeOptions): EventBridgeEmulator {
  const log = opts.log ?? (() => undefined);
  const identityOptions: IdentityOptions = { identity: opts.identity, accounts: opts.accounts };

  const remote: (sender: LocalIdentity) => RemoteBusDelivery =
    (sender) => (targetArn, rule, target, event) => {
      const where = parseBusArn(targetArn);
      if (!where) throw new PermanentDeliveryError(`unsupported target ${targetArn}`, 'ValidationException');
      const { state, router } = partitions.get(where);
      const bus = state.buses.get(where.name);
      if (!bus) throw busNotFound(`${where.name} in account ${where.accountId}, ${where.region}`);
      // Same account, other region: a target role (RoleArn) authorises it as in AWS; otherwise the bus policy must.
      const viaRole = sender.accountId === where.accountId && typeof target.raw['RoleArn'] === 'string';
      if (!viaRole && !busAccepts(bus, rule, sender)) {
        partitions.get(sender).state.stats.refusedByPolicy++;
        throw new PermanentDeliveryError(
          `event bus ${bus.arn} does not allow events:PutEvents from account ${sender.accountId} (rule ${rule.arn}): add a statement with PutPermission on that bus`,
        );
      }
      router.route(bus.name, event);
    };

  const partitions: Partitions<EventBridgePartition> = new Partitions((identity) => {
    const state = new EventBridgeState(identity, opts.clock);
    const archives = new Archives(state);
    const router = new Router(
      state,
      opts.sqs,
      log,
      (busArn, event) => archives.record(busArn, event),
      opts.delivery,
      remote(identity),
    );
    const replays = new Replays(state, archives, router);
    const handlers: Handlers = {
      ...busOperations(state),
      ...ruleOperations(state),
      ...targetOperations(state),
      ...putEventsOperation(state, router),
      ...permissionOperations(state),
      ...archives.operations(),
      ...replays.operations(),
    };
    return { state, archives, router, replays, handlers };
  });
  partitions.get(opts.identity);

  const at = (where?: Partial<LocalIdentity>) => partitions.get({ ...opts.identity, ...where });

  return {
    signingNames: ['events'],
    adminPrefix: 'events',

    async handle(req) {
      try {
        const { op, input } = decodeRequest(req);
        const { handlers } = partitions.get(resolveCaller(req, identityOptions));
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
      const where = {
        ...(req.query.get('account') ? { accountId: req.query.get('account') as string } : {}),
        ...(req.query.get('region') ? { region: req.query.get('region') as string } : {}),
      };
      const { state, router } = at(where);
      return handleAdmin(state, router, req, subpath);
    },

    async putInternal(busName: string, entries: InternalBusEntry[], where?: LocalIdentity) {
      const { state, router } = at(where);
      const bus = state.bus(busName);
      for (const e of entries) {
        router.route(bus.name, makeEnvelope(state.identity, e, state.clock.date()));
        state.stats.entriesAccepted++;
      }
    },

    persistence: partitionedState('events', partitions, eventBridgeState),

    async whenIdle() {
      // A delivery can start work in another partition: wait until a pass finds everything idle.
      for (;;) {
        const all = partitions.all();
        await Promise.all(all.map((p) => p.router.idle()));
        if (all.every((p) => p.router.pending === 0) && partitions.all().length === all.length) return;
      }
    },
    stats: (where) => ({ ...at(where).state.stats }),

    async close() {
      for (const p of partitions.all()) {
        p.replays.close();
        p.router.close();
      }
    },
  };
}
