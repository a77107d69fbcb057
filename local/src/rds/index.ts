/**
 * The RDS emulator: the RDS query protocol over HTTP, a lifecycle with configurable durations, `aws.rds`
 * events to the default bus and to SNS subscriptions, injected faults, the account throttle, and
 * observation (histories, call counts, endpoint availability) for tests.
 */
import type {
  BusIngress,
  EmulatedService,
  LocalIdentity,
  LocalRequest,
  LocalResponse,
  ServiceState,
} from '../types';
import { ACTIONS, callIdentifier } from './actions';
import { handleAdmin } from './admin';
import { RdsError } from './errors';
import type { EventQuirks, RdsEventRecord, SnsPublisher } from './events';
import { seededRandom, type FaultConfig } from './faults';
import { resolveDurations, type Durations } from './lifecycle';
import type { CallCounts, EndpointTimeline, ResourceHistory } from './observe';
import { rdsState } from './persistence';
import { errorResponse, newRequestId, Params, xmlResponse } from './protocol';
import { RdsState, type Behaviour } from './state';
import { DEFAULT_THROTTLE, TokenBucket, type ThrottleConfig } from './throttle';

export type { SnsPublisher, EventQuirks, RdsEventRecord } from './events';
export type { FaultConfig, EventFaults, OperationFault, ApiErrorFault, OperationName } from './faults';
export type { Durations } from './lifecycle';
export { REALISTIC, INSTANT } from './lifecycle';
export type {
  CallCounts,
  EndpointTimeline,
  ResourceHistory,
  HistoryEntry,
  AvailabilityInterval,
} from './observe';
export type { ThrottleConfig } from './throttle';

export type Profile = 'realistic' | 'instant' | Partial<Durations>;

export type { Behaviour } from './state';

export interface RdsConfig {
  profile?: Profile;
  timeScale?: number;
  throttle?: Partial<ThrottleConfig>;
  quirks?: Partial<EventQuirks>;
  behaviour?: Partial<Behaviour>;
}

export interface CreateRdsOptions extends Omit<RdsConfig, 'profile'> {
  identity: LocalIdentity;
  bus: BusIngress;
  sns: SnsPublisher;
  profile?: Profile;
  seed?: number;
  log?: (line: string) => void;
}

export interface RdsEmulator extends EmulatedService {
  readonly signingNames: readonly string[];
  readonly adminPrefix: string;
  admin(req: LocalRequest, subpath: string): Promise<LocalResponse>;
  close(): Promise<void>;
  /** Replaces the fault configuration (events, operations, apiErrors; `throttle` is applied to the bucket). */
  setFaults(faults: FaultConfig & { throttle?: Partial<ThrottleConfig> }): void;
  clearFaults(): void;
  getFaults(): Required<FaultConfig>;
  configure(config: RdsConfig): void;
  getConfig(): {
    durations: Durations;
    timeScale: number;
    throttle: ThrottleConfig;
    quirks: EventQuirks;
    behaviour: Behaviour;
  };
  history(identifier?: string): ResourceHistory[];
  availabilityTimeline(address?: string): EndpointTimeline[];
  callCounts(): CallCounts;
  /** Every event emitted (as DescribeEvents would list it), oldest first. */
  events(): RdsEventRecord[];
  /** Clears resources, events, histories, counts, faults, and refills the throttle bucket. */
  reset(): void;
  /** The 12-character endpoint hash of this account and region. */
  readonly endpointHash: string;
  /** Dumps and loads resources, event history and pending lifecycle steps (`--state-dir`). */
  readonly persistence: ServiceState;
}

class Rds implements RdsEmulator {
  readonly signingNames = ['rds'] as const;
  readonly adminPrefix = 'rds';
  readonly state: RdsState;
  readonly bucket: TokenBucket;
  readonly persistence: ServiceState;

  constructor(opts: CreateRdsOptions) {
    const log = opts.log ?? (() => undefined);
    this.state = new RdsState({
      identity: opts.identity,
      bus: opts.bus,
      sns: opts.sns,
      durations: resolveDurations(opts.profile),
      timeScale: opts.timeScale ?? 1,
      random: seededRandom((opts.seed ?? 1) + 0x9e3779b9),
      faultRandom: seededRandom(opts.seed ?? 1),
      log,
    });
    this.bucket = new TokenBucket(
      { ...DEFAULT_THROTTLE, ...(opts.throttle ?? {}) },
      () => this.state.sched.timeScale,
    );
    this.configure({ quirks: opts.quirks, behaviour: opts.behaviour });
    this.persistence = rdsState(this.state);
  }

  get endpointHash(): string {
    return this.state.naming.hash;
  }

  async handle(req: LocalRequest): Promise<LocalResponse> {
    const requestId = newRequestId();
    const p = new Params(
      req.method === 'POST' && req.body.length > 0 ? req.body.toString('utf8') : req.query,
    );
    const action = p.action;
    const handler = ACTIONS[action];
    if (!handler) {
      return errorResponse(
        new RdsError('InvalidAction', `Could not find operation ${action} for version 2014-10-31`),
        requestId,
      );
    }
    if (!this.bucket.take()) {
      this.state.observer.countThrottled(action);
      return errorResponse(new RdsError('Throttling', 'Rate exceeded'), requestId);
    }
    const identifier = callIdentifier(p);
    this.state.observer.countCall(action, identifier);
    try {
      this.state.faults.throwApiError(action, identifier);
      return xmlResponse(action, handler(this.state, p), requestId);
    } catch (e) {
      this.state.observer.countError(action);
      if (e instanceof RdsError) return errorResponse(e, requestId);
      this.state.log(`rds ${action} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return errorResponse(new RdsError('InternalFailure', 'An internal error occurred.', 500), requestId);
    }
  }

  admin(req: LocalRequest, subpath: string): Promise<LocalResponse> {
    return Promise.resolve(handleAdmin(this, req, subpath));
  }

  async close(): Promise<void> {
    this.state.sched.close();
  }

  setFaults(faults: FaultConfig & { throttle?: Partial<ThrottleConfig> }): void {
    this.state.faults.set(faults);
    if (faults.throttle !== undefined) this.bucket.configure(faults.throttle);
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  getFaults(): Required<FaultConfig> {
    return this.state.faults.get();
  }

  configure(config: RdsConfig): void {
    if (config.profile !== undefined) this.state.durations = resolveDurations(config.profile);
    if (config.timeScale !== undefined) {
      if (!(config.timeScale > 0)) throw new Error('timeScale must be > 0');
      this.state.sched.timeScale = config.timeScale;
    }
    if (config.throttle !== undefined) this.bucket.configure(config.throttle);
    if (config.quirks !== undefined) Object.assign(this.state.events.quirks, config.quirks);
    if (config.behaviour !== undefined) Object.assign(this.state.behaviour, config.behaviour);
  }

  getConfig(): ReturnType<RdsEmulator['getConfig']> {
    return {
      durations: { ...this.state.durations },
      timeScale: this.state.sched.timeScale,
      throttle: this.bucket.settings,
      quirks: { ...this.state.events.quirks },
      behaviour: {
        ...this.state.behaviour,
        modifiableStatuses: [...this.state.behaviour.modifiableStatuses],
      },
    };
  }

  history(identifier?: string): ResourceHistory[] {
    return this.state.observer.history(identifier?.toLowerCase());
  }

  availabilityTimeline(address?: string): EndpointTimeline[] {
    return this.state.observer.availabilityTimeline(address);
  }

  callCounts(): CallCounts {
    return this.state.observer.callCounts();
  }

  events(): RdsEventRecord[] {
    return this.state.events.all();
  }

  reset(): void {
    this.state.reset();
    this.bucket.reset();
  }
}

export function createRds(opts: CreateRdsOptions): RdsEmulator {
  return new Rds(opts);
}
