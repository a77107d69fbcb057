/** What the RDS emulator offers its callers (the edge, the admin API, tests) and how it is created. */
import type { BusIngress, EmulatedService, LocalIdentity, LocalRequest, LocalResponse } from '../types';
import type { EventQuirks, RdsEventRecord, SnsPublisher } from './events';
import type { FaultConfig } from './faults';
import type { Durations } from './lifecycle';
import type { CallCounts, EndpointTimeline, ResourceHistory } from './observe';
import type { Behaviour } from './state';
import type { ThrottleConfig } from './throttle';

type Profile = 'realistic' | 'instant' | Partial<Durations>;

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
}
