/**
 * The RDS emulator: the RDS query protocol over HTTP, a lifecycle with configurable durations, `aws.rds`
 * events to the default bus and to SNS subscriptions, injected faults, the account throttle, and
 * observation (histories, call counts, endpoint availability) for tests.
 */
import type { LocalRequest, LocalResponse } from '../types';
import { ACTIONS, callIdentifier } from './actions';
import { handleAdmin } from './admin';
import type { CreateRdsOptions, RdsConfig, RdsEmulator } from './emulator';
import { RdsError } from './errors';
import type { RdsEventRecord } from './events';
import { seededRandom, type FaultConfig } from './faults';
import { resolveDurations } from './lifecycle';
import type { CallCounts, EndpointTimeline, ResourceHistory } from './observe';
import { errorResponse, newRequestId, Params, xmlResponse } from './protocol';
import { RdsState } from './state';
import { DEFAULT_THROTTLE, TokenBucket, type ThrottleConfig } from './throttle';

export type { CreateRdsOptions, RdsEmulator } from './emulator';

class Rds implements RdsEmulator {
  readonly signingNames = ['rds'] as const;
  readonly adminPrefix = 'rds';
  readonly state: RdsState;
  readonly bucket: TokenBucket;

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
