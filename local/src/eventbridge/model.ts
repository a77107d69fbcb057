/** In-memory resources of the EventBridge emulator. */
import type { PolicyDocument } from '../policies/resourcePolicy';
import type { JsonObject } from './protocol';

/** The envelope EventBridge delivers to targets. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: JsonObject;
  'replay-name'?: string;
}

export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

export interface InputTransformer {
  inputPathsMap: Record<string, string>;
  inputTemplate: string;
}

export interface Target {
  id: string;
  arn: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: InputTransformer;
  messageGroupId?: string;
  deadLetterArn?: string;
  retryPolicy?: RetryPolicy;
  /** Kept as received so ListTargetsByRule returns what was put. */
  raw: JsonObject;
}

export interface Rule {
  name: string;
  arn: string;
  busName: string;
  description?: string;
  eventPatternText?: string;
  eventPattern?: JsonObject;
  scheduleExpression?: string;
  roleArn?: string;
  state: 'ENABLED' | 'DISABLED';
  targets: Map<string, Target>;
  createdAt: Date;
}

export interface Bus {
  name: string;
  arn: string;
  description?: string;
  createdAt: Date;
  modifiedAt: Date;
  rules: Map<string, Rule>;
  /** Resource policy (PutPermission / PutPermission with Policy): who else may put events on it. */
  policy?: PolicyDocument;
  /** Most recent events put on this bus, oldest first (admin `recent`). */
  recent: EventEnvelope[];
}

interface ArchivedEvent {
  event: EventEnvelope;
  receivedAt: number;
  size: number;
}

export interface Archive {
  name: string;
  arn: string;
  sourceArn: string;
  description?: string;
  eventPatternText?: string;
  eventPattern?: JsonObject;
  retentionDays: number;
  state: 'ENABLED' | 'DISABLED';
  createdAt: Date;
  events: ArchivedEvent[];
}

type ReplayState = 'STARTING' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface Replay {
  name: string;
  arn: string;
  description?: string;
  sourceArn: string;
  destinationArn: string;
  filterArns?: string[];
  eventStartTime: Date;
  eventEndTime: Date;
  state: ReplayState;
  stateReason?: string;
  replayStartTime: Date;
  replayEndTime?: Date;
  eventLastReplayedTime?: Date;
}

export interface Stats {
  entriesAccepted: number;
  entriesFailed: number;
  delivered: number;
  retries: number;
  failedDeliveries: number;
  /** Deliveries to another account's or region's bus that its policy refused. */
  refusedByPolicy: number;
  deadLettered: number;
  archived: number;
  replayed: number;
}

/** ARNs for the local identity. */
export class Arns {
  constructor(
    private readonly region: string,
    private readonly account: string,
  ) {}

  private base(resource: string): string {
    return `arn:aws:events:${this.region}:${this.account}:${resource}`;
  }

  bus(name: string): string {
    return this.base(`event-bus/${name}`);
  }

  rule(bus: string, rule: string): string {
    return this.base(bus === 'default' ? `rule/${rule}` : `rule/${bus}/${rule}`);
  }

  archive(name: string): string {
    return this.base(`archive/${name}`);
  }

  replay(name: string): string {
    return this.base(`replay/${name}`);
  }

  /** Bus name from a name or an event bus ARN of this account and region. */
  busNameOf(nameOrArn: string): string | undefined {
    const prefix = this.base('event-bus/');
    if (nameOrArn.startsWith('arn:'))
      return nameOrArn.startsWith(prefix) ? nameOrArn.slice(prefix.length) : undefined;
    return nameOrArn;
  }
}

/** Account, region and name of any event bus ARN. */
export function parseBusArn(arn: string): { accountId: string; region: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:events:([\w-]+):(\d{12}):event-bus\/(.+)$/.exec(arn);
  return m ? { region: m[1] as string, accountId: m[2] as string, name: m[3] as string } : undefined;
}
