/** What the RDS emulator offers its callers (the edge, the admin API, tests) and how it is created. */
import type { CloudClock } from '../clock';
import type { AssumedRoleCheck } from '../iam/evaluate';
import type { S3Writer } from '../sqs/fauxqsService';
import type { KmsKeys } from '../kms/keys';
import type {
  BusIngress,
  EmulatedService,
  LocalIdentity,
  LocalRequest,
  LocalResponse,
  ServiceState,
} from '../types';
import type { EventQuirks, RdsEventRecord, SnsPublisher } from './events';
import type { FaultConfig } from './faults';
import type { Durations } from './lifecycle';
import type { CallCounts, EndpointTimeline, ResourceHistory } from './observe';
import type { Behaviour } from './state';
import type { ThrottleConfig } from './throttle';

export type Profile = 'realistic' | 'instant' | Partial<Durations>;

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
  /** KMS keys of every account and region (shared with the KMS emulator); default: its own. */
  kms?: KmsKeys;
  /** The cloud clock (default: its own). */
  clock?: CloudClock;
  /** S3, where StartExportTask writes (absent: exports fail at their end, the bucket unreachable). */
  s3?: S3Writer;
  /** What RDS may do with a role it assumes (an export's IamRoleArn); absent = IAM off, anything goes. */
  checkRole?: AssumedRoleCheck;
  /** Access key id -> account id (see `edge/identity.ts`), for requests that did not come through the edge. */
  accounts?: Readonly<Record<string, string>>;
}

/** What one account's RDS in one region has observed (admin routes take `?account=&region=`). */
export interface RdsEmulatorView {
  history(identifier?: string): ResourceHistory[];
  availabilityTimeline(address?: string): EndpointTimeline[];
  callCounts(): CallCounts;
  events(): RdsEventRecord[];
  readonly endpointHash: string;
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
  /** The 12-character endpoint hash of the default account and region. */
  readonly endpointHash: string;
  /** The observations of another account or region (default: the local cloud's own). */
  at(where?: Partial<LocalIdentity>): RdsEmulatorView;
  /** IAM hook (local/src/iam): tags and settings of an existing resource, by ARN; undefined if none. */
  resourceFacts(arn: string): RdsResourceFacts | undefined;
  /**
   * Dumps and loads every account's and region's resources, event history and pending lifecycle steps
   * (`--state-dir`).
   */
  readonly persistence: ServiceState;
}

export interface RdsResourceFacts {
  tags: { Key: string; Value: string }[];
  copyTagsToSnapshot?: boolean;
  kmsKeyId?: string;
}
