/**
 * RDS events: recorded for DescribeEvents (14 days), put on the default bus as `aws.rds` events, and
 * published to SNS for matching event subscriptions. Delivery honours the event faults and quirks.
 */
import type { BusIngress, LocalIdentity } from '../types';
import {
  API_SOURCE_TYPES,
  CONSOLE_FRAGMENT,
  DETAIL_TYPES,
  EVENTS,
  fillMessage,
  type EventName,
  type SourceType,
} from './catalog';
import type { Faults } from './faults';
import type { Scheduler } from './lifecycle';
import type { EventSubscription } from './model';

export interface SnsPublisher {
  publish(topicArn: string, message: string, subject?: string): Promise<void>;
}

export interface EventQuirks {
  /** `SourceIdentifier` on the bus: `rds:` prefix (as in the documented example), none, or either at random. */
  sourceIdentifierPrefix: 'rds:' | 'none' | 'random';
  /** Probability that `EventID` is left out of an event of one of `omitEventIdSourceTypes`. */
  omitEventIdRate: number;
  omitEventIdSourceTypes: SourceType[];
  /** Where the restore event goes: instance event, snapshot event, or both. */
  restoreEventSource: 'instance' | 'snapshot' | 'both';
  /** `RDS-EVENT-0043` (current) or `RDS-EVENT-0008` (older docs) for the restore event. */
  restoreEventId: '0043' | '0008';
}

const DEFAULT_QUIRKS: EventQuirks = {
  sourceIdentifierPrefix: 'rds:',
  omitEventIdRate: 0,
  omitEventIdSourceTypes: ['CLUSTER', 'SNAPSHOT', 'CLUSTER_SNAPSHOT'],
  restoreEventSource: 'instance',
  restoreEventId: '0043',
};

export interface RdsEventRecord {
  sourceType: SourceType;
  sourceIdentifier: string;
  sourceArn: string;
  date: Date;
  message: string;
  /** `RDS-EVENT-xxxx`. */
  eventId: string;
  categories: string[];
}

export interface EventQuery {
  sourceType?: string;
  sourceIdentifier?: string;
  startTime?: Date;
  endTime?: Date;
  categories?: string[];
}

const RETENTION_MS = 14 * 24 * 3600 * 1000;

/**
 * One delivery channel (the bus, or one SNS subscription) with loss / duplication / delay / reordering.
 * Reordering holds one event back and releases it after the channel's next event (or after `delayMs`).
 */
class Channel {
  private held: (() => void) | undefined;

  constructor(
    private readonly faults: Faults,
    private readonly sched: Scheduler,
    private readonly log: (line: string) => void,
  ) {}

  deliver(send: () => Promise<void>): void {
    const f = this.faults.events;
    if (this.faults.chance(f.lose)) {
      this.log('event lost (fault)');
      return;
    }
    const copies = this.faults.chance(f.duplicate) ? 2 : 1;
    const go = (): void => {
      for (let i = 0; i < copies; i++)
        send().catch((e: unknown) => this.log(`event delivery failed: ${String(e)}`));
    };
    if (this.faults.chance(f.delay)) {
      this.sched.after(f.delayMs ?? 60_000, go);
    } else if (this.faults.chance(f.reorder) && this.held === undefined) {
      this.held = go;
      this.sched.after(f.delayMs ?? 60_000, () => this.flush());
    } else {
      go();
      this.flush();
    }
  }

  reset(): void {
    this.held = undefined;
  }

  private flush(): void {
    const h = this.held;
    this.held = undefined;
    h?.();
  }
}

export class RdsEvents {
  private log: RdsEventRecord[] = [];
  quirks: EventQuirks = { ...DEFAULT_QUIRKS };
  private readonly busChannel: Channel;
  private readonly snsChannels = new Map<string, Channel>();

  constructor(
    private readonly identity: LocalIdentity,
    private readonly bus: BusIngress,
    private readonly sns: SnsPublisher,
    private readonly faults: Faults,
    private readonly sched: Scheduler,
    private readonly subscriptions: () => Iterable<EventSubscription>,
    private readonly logLine: (line: string) => void,
  ) {
    this.busChannel = new Channel(faults, sched, logLine);
  }

  emit(
    sourceType: SourceType,
    name: EventName,
    sourceIdentifier: string,
    sourceArn: string,
    vars: Record<string, string> = {},
    eventIdOverride?: string,
  ): RdsEventRecord {
    const spec = EVENTS[name];
    const rec: RdsEventRecord = {
      sourceType,
      sourceIdentifier,
      sourceArn,
      date: this.sched.clock.date(),
      message: fillMessage(spec.message, vars),
      eventId: `RDS-EVENT-${eventIdOverride ?? spec.id}`,
      categories: [...spec.categories],
    };
    this.log.push(rec);
    this.prune();
    this.logLine(`event ${rec.eventId} ${sourceType} ${sourceIdentifier}: ${rec.message}`);
    this.toBus(rec);
    for (const sub of this.subscriptions()) {
      if (subscriptionMatches(sub, rec)) this.toSns(sub, rec);
    }
    return rec;
  }

  private toBus(rec: RdsEventRecord): void {
    const q = this.quirks;
    const prefixed =
      q.sourceIdentifierPrefix === 'rds:' ||
      (q.sourceIdentifierPrefix === 'random' && this.faults.random() < 0.5);
    const detail: Record<string, unknown> = {
      EventCategories: rec.categories,
      SourceType: rec.sourceType,
      SourceArn: rec.sourceArn,
      Date: rec.date.toISOString(),
      Message: rec.message,
      SourceIdentifier:
        prefixed && !rec.sourceIdentifier.startsWith('rds:')
          ? `rds:${rec.sourceIdentifier}`
          : rec.sourceIdentifier,
      EventID: rec.eventId,
    };
    if (q.omitEventIdSourceTypes.includes(rec.sourceType) && this.faults.chance(q.omitEventIdRate)) {
      delete detail['EventID'];
    }
    const entry = {
      source: 'aws.rds',
      detailType: DETAIL_TYPES[rec.sourceType],
      detail,
      resources: [rec.sourceArn],
      time: rec.date,
    };
    this.busChannel.deliver(() => this.bus.putInternal('default', [entry], this.identity));
  }

  private toSns(sub: EventSubscription, rec: RdsEventRecord): void {
    const message = JSON.stringify({
      'Event Source': API_SOURCE_TYPES[rec.sourceType],
      'Event Time': rec.date.toISOString().replace('T', ' ').replace('Z', ''),
      'Identifier Link': `https://console.aws.amazon.com/rds/home?region=${this.identity.region}#${CONSOLE_FRAGMENT[rec.sourceType]}:id=${rec.sourceIdentifier}`,
      'Source ID': rec.sourceIdentifier,
      'Source ARN': rec.sourceArn,
      'Event ID': `http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html#${rec.eventId}`,
      'Event Message': rec.message,
    });
    const send = (): Promise<void> => this.sns.publish(sub.snsTopicArn, message, 'RDS Notification Message');
    let channel = this.snsChannels.get(sub.name);
    if (!channel) {
      channel = new Channel(this.faults, this.sched, this.logLine);
      this.snsChannels.set(sub.name, channel);
    }
    channel.deliver(send);
  }

  describe(q: EventQuery): RdsEventRecord[] {
    this.prune();
    return this.log.filter(
      (e) =>
        (q.sourceType === undefined || API_SOURCE_TYPES[e.sourceType] === q.sourceType) &&
        (q.sourceIdentifier === undefined || e.sourceIdentifier === q.sourceIdentifier) &&
        (q.startTime === undefined || e.date >= q.startTime) &&
        (q.endTime === undefined || e.date <= q.endTime) &&
        (q.categories === undefined ||
          q.categories.length === 0 ||
          e.categories.some((c) => q.categories?.includes(c))),
    );
  }

  all(): RdsEventRecord[] {
    return [...this.log];
  }

  /** Replaces the history DescribeEvents reads (a saved state being loaded). */
  restore(records: RdsEventRecord[]): void {
    this.log = [...records];
  }

  reset(): void {
    this.log = [];
    this.quirks = { ...DEFAULT_QUIRKS };
    this.busChannel.reset();
    this.snsChannels.clear();
  }

  private prune(): void {
    const cutoff = this.sched.clock.now() - RETENTION_MS;
    if (this.log.length > 0 && (this.log[0] as RdsEventRecord).date.getTime() < cutoff) {
      this.log = this.log.filter((e) => e.date.getTime() >= cutoff);
    }
  }
}

function subscriptionMatches(sub: EventSubscription, rec: RdsEventRecord): boolean {
  if (!sub.enabled) return false;
  if (sub.sourceType !== undefined && sub.sourceType !== API_SOURCE_TYPES[rec.sourceType]) return false;
  if (sub.categories.length > 0 && !rec.categories.some((c) => sub.categories.includes(c))) return false;
  if (sub.sourceIds.length > 0 && !sub.sourceIds.includes(rec.sourceIdentifier)) return false;
  return true;
}
