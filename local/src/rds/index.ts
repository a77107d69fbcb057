/**
 * The RDS emulator: the RDS query protocol over HTTP, a lifecycle with configurable durations, `aws.rds`
 * events to the default bus and to SNS subscriptions, injected faults, the account throttle, and
 * observation (histories, call counts, endpoint availability) for tests.
 */
import { Partitions, resolveCaller } from '../edge/identity';
import { CloudClock } from '../clock';
import type { AssumedRoleCheck } from '../iam/evaluate';
import type { S3Writer } from '../sqs/fauxqsService';
import { KmsKeys } from '../kms/keys';
import { partitionedState } from '../persistence/partitioned';
import type { LocalIdentity, LocalRequest, LocalResponse, ServiceState } from '../types';
import { ACTIONS, callIdentifier } from './actions';
import { handleAdmin } from './admin';
import type { RdsConfig, CreateRdsOptions, RdsEmulatorView, RdsEmulator, RdsResourceFacts } from './emulator';
import { RdsError } from './errors';
import type { EventQuirks, RdsEventRecord } from './events';
import { Faults, seededRandom, type FaultConfig } from './faults';
import { lagMetric, setReplicationLag } from './globals';
import { regionRecovered } from './globalSwitch';
import { resolveDurations, type Durations } from './lifecycle';
import type { CallCounts, EndpointTimeline, ResourceHistory } from './observe';
import { rdsState } from './persistence';
import { errorResponse, newRequestId, Params, xmlResponse } from './protocol';
import { RdsState, type Behaviour, type RdsWorld } from './state';
import { DEFAULT_THROTTLE, TokenBucket, type ThrottleConfig } from './throttle';

export type { SnsPublisher } from './events';
export type {
  Profile,
  RdsConfig,
  CreateRdsOptions,
  RdsEmulatorView,
  RdsEmulator,
  RdsResourceFacts,
} from './emulator';

/** One account's RDS in one region, with its own API rate limit (per account and region, as in AWS). */
interface RdsPartition {
  state: RdsState;
  bucket: TokenBucket;
}

class Rds implements RdsEmulator, RdsWorld {
  readonly signingNames = ['rds'] as const;
  readonly adminPrefix = 'rds';
  readonly kms: KmsKeys;
  readonly clock: CloudClock;
  readonly s3?: S3Writer;
  readonly checkRole?: AssumedRoleCheck;
  readonly persistence: ServiceState;
  private readonly identity: LocalIdentity;
  private readonly partitions: Partitions<RdsPartition>;
  private readonly faults: Faults;
  private readonly unreachable = new Set<string>();
  private readonly settings: {
    durations: Durations;
    timeScale: number;
    throttle: ThrottleConfig;
    quirks?: Partial<EventQuirks>;
    behaviour?: Partial<Behaviour>;
  };

  constructor(private readonly opts: CreateRdsOptions) {
    this.identity = opts.identity;
    this.kms = opts.kms ?? new KmsKeys();
    this.clock = opts.clock ?? new CloudClock();
    this.s3 = opts.s3;
    this.checkRole = opts.checkRole;
    this.faults = new Faults(seededRandom(opts.seed ?? 1));
    this.settings = {
      durations: resolveDurations(opts.profile),
      timeScale: opts.timeScale ?? 1,
      throttle: { ...DEFAULT_THROTTLE, ...(opts.throttle ?? {}) },
      quirks: opts.quirks,
      behaviour: opts.behaviour,
    };
    let places = 0;
    this.partitions = new Partitions((where) => {
      const state = new RdsState({
        identity: where,
        world: this,
        faults: this.faults,
        bus: opts.bus,
        sns: opts.sns,
        durations: { ...this.settings.durations },
        timeScale: this.settings.timeScale,
        clock: this.clock,
        // The default account and region keep the seed's sequence; others draw their own.
        random: seededRandom((opts.seed ?? 1) + 0x9e3779b9 + 7919 * places++),
        log: opts.log ?? (() => undefined),
      });
      if (this.settings.quirks) Object.assign(state.events.quirks, this.settings.quirks);
      if (this.settings.behaviour) Object.assign(state.behaviour, this.settings.behaviour);
      const bucket = new TokenBucket({ ...this.settings.throttle }, () => state.sched.timeScale);
      return { state, bucket };
    });
    this.partitions.get(this.identity);
    this.persistence = partitionedState('rds', this.partitions, rdsState);
  }

  reachable(region: string): boolean {
    return !this.unreachable.has(region);
  }

  setRegionReachable(region: string, reachable: boolean): void {
    if (reachable) {
      if (this.unreachable.delete(region)) regionRecovered(this.all(), region);
    } else this.unreachable.add(region);
  }

  setReplicationLag(
    where: Partial<LocalIdentity>,
    target: { cluster?: string; instance?: string },
    lagMs: number,
  ): void {
    setReplicationLag(this.partition({ ...this.identity, ...where }), target, lagMs);
  }

  lagMetric(where: LocalIdentity, name: string, dimensions: Record<string, string>): number | undefined {
    return lagMetric(this.partition(where), name, dimensions);
  }

  partition(where: LocalIdentity): RdsState {
    return this.partitions.get(where).state;
  }

  all(): RdsState[] {
    return this.partitions.all().map((p) => p.state);
  }

  /** The default account's RDS in the default region. */
  get state(): RdsState {
    return this.partition(this.identity);
  }

  get endpointHash(): string {
    return this.state.naming.hash;
  }

  at(where?: Partial<LocalIdentity>): RdsEmulatorView {
    const state = this.partition({ ...this.identity, ...where });
    return {
      history: (identifier) => state.observer.history(identifier?.toLowerCase()),
      availabilityTimeline: (address) => state.observer.availabilityTimeline(address),
      callCounts: () => state.observer.callCounts(),
      events: () => state.events.all(),
      endpointHash: state.naming.hash,
    };
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
    const { state, bucket } = this.partitions.get(
      resolveCaller(req, { identity: this.identity, accounts: this.opts.accounts }),
    );
    if (!bucket.take()) {
      state.observer.countThrottled(action);
      return errorResponse(new RdsError('Throttling', 'Rate exceeded'), requestId);
    }
    const identifier = callIdentifier(p);
    state.observer.countCall(action, identifier);
    try {
      state.faults.throwApiError(action, identifier, state.identity.region);
      return xmlResponse(action, await handler(state, p), requestId);
    } catch (e) {
      state.observer.countError(action);
      if (e instanceof RdsError) return errorResponse(e, requestId);
      state.log(`rds ${action} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return errorResponse(new RdsError('InternalFailure', 'An internal error occurred.', 500), requestId);
    }
  }

  admin(req: LocalRequest, subpath: string): Promise<LocalResponse> {
    return Promise.resolve(handleAdmin(this, req, subpath));
  }

  async close(): Promise<void> {
    for (const state of this.all()) state.sched.close();
  }

  setFaults(faults: FaultConfig & { throttle?: Partial<ThrottleConfig> }): void {
    this.faults.set(faults);
    if (faults.throttle !== undefined) this.configureThrottle(faults.throttle);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  getFaults(): Required<FaultConfig> {
    return this.faults.get();
  }

  private configureThrottle(throttle: Partial<ThrottleConfig>): void {
    Object.assign(this.settings.throttle, throttle);
    for (const p of this.partitions.all()) p.bucket.configure(throttle);
  }

  configure(config: RdsConfig): void {
    if (config.timeScale !== undefined && !(config.timeScale > 0)) throw new Error('timeScale must be > 0');
    if (config.profile !== undefined) this.settings.durations = resolveDurations(config.profile);
    if (config.timeScale !== undefined) this.settings.timeScale = config.timeScale;
    if (config.quirks !== undefined) this.settings.quirks = { ...this.settings.quirks, ...config.quirks };
    if (config.behaviour !== undefined) {
      this.settings.behaviour = { ...this.settings.behaviour, ...config.behaviour };
    }
    if (config.throttle !== undefined) this.configureThrottle(config.throttle);
    for (const state of this.all()) {
      if (config.profile !== undefined) state.durations = { ...this.settings.durations };
      if (config.timeScale !== undefined) state.sched.timeScale = config.timeScale;
      if (config.quirks !== undefined) Object.assign(state.events.quirks, config.quirks);
      if (config.behaviour !== undefined) Object.assign(state.behaviour, config.behaviour);
    }
  }

  getConfig(): ReturnType<RdsEmulator['getConfig']> {
    const state = this.state;
    return {
      durations: { ...state.durations },
      timeScale: state.sched.timeScale,
      throttle: this.partitions.get(this.identity).bucket.settings,
      quirks: { ...state.events.quirks },
      behaviour: {
        ...state.behaviour,
        modifiableStatuses: [...state.behaviour.modifiableStatuses],
      },
    };
  }

  history(identifier?: string): ResourceHistory[] {
    return this.at().history(identifier);
  }

  availabilityTimeline(address?: string): EndpointTimeline[] {
    return this.at().availabilityTimeline(address);
  }

  callCounts(): CallCounts {
    return this.at().callCounts();
  }

  events(): RdsEventRecord[] {
    return this.at().events();
  }

  resourceFacts(arn: string): RdsResourceFacts | undefined {
    type Facts = { tags: RdsResourceFacts['tags']; copyTagsToSnapshot?: boolean; kmsKeyId?: string };
    // The resource's own account and region, as its ARN names them; a global cluster (its ARN has no
    // region) is kept by one region of its account.
    const [, , , region, accountId, type, id] = arn.split(':');
    const global =
      !region && type === 'global-cluster' && id
        ? this.all()
            .filter((s) => s.identity.accountId === accountId)
            .map((s) => s.globalClusters.get(id.toLowerCase()))
            .find((g) => g !== undefined)
        : undefined;
    const owner =
      region && accountId && /^\d{12}$/.test(accountId)
        ? this.partitions.peek({ accountId, region })?.state
        : this.state;
    const found = (global ?? owner?.taggable(arn.replace(/[^:]+$/, (id) => id.toLowerCase()))) as
      (Facts & { source?: { kmsKeyId?: string } }) | undefined;
    if (!found) return undefined;
    return {
      tags: found.tags,
      copyTagsToSnapshot: found.copyTagsToSnapshot,
      kmsKeyId: found.kmsKeyId ?? found.source?.kmsKeyId,
    };
  }

  reset(): void {
    for (const p of this.partitions.all()) {
      p.state.reset();
      p.bucket.reset();
    }
    this.faults.clear();
    this.unreachable.clear();
  }
}

export function createRds(opts: CreateRdsOptions): RdsEmulator {
  return new Rds(opts);
}
