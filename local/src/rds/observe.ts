/** What tests observe: resource histories, API call counts, endpoint availability over time. */
import type { ResourceKind } from './model';

export interface HistoryEntry {
  time: string;
  status: string;
  identifier: string;
  note?: string;
}

export interface ResourceHistory {
  kind: ResourceKind;
  key: string;
  identifiers: string[];
  entries: HistoryEntry[];
}

export interface AvailabilityInterval {
  from: string;
  /** Absent while the endpoint still answers. */
  to?: string;
  /** The resource behind the address during this interval. */
  identifier: string;
}

export interface EndpointTimeline {
  address: string;
  kind: 'instance' | 'cluster' | 'cluster-ro' | 'global';
  intervals: AvailabilityInterval[];
}

export interface CallCounts {
  /** Executed calls per action (throttled calls excluded; calls answered with an error included). */
  byAction: Record<string, number>;
  /** Executed calls per identifier and action. */
  byIdentifier: Record<string, Record<string, number>>;
  /** Calls refused with Throttling, per action. */
  throttled: Record<string, number>;
  /** Calls answered with an error (other than Throttling), per action. */
  errors: Record<string, number>;
}

/** Statuses in which an instance or cluster accepts connections. */
export const ANSWERING_STATUSES = new Set([
  'available',
  'backing-up',
  'modifying',
  'storage-optimization',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
]);

export interface AnsweringEndpoint {
  address: string;
  kind: EndpointTimeline['kind'];
  identifier: string;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export class Observer {
  private histories = new Map<string, ResourceHistory>();
  private timelines = new Map<string, EndpointTimeline>();
  private open = new Map<string, AvailabilityInterval>();
  private counts: CallCounts = { byAction: {}, byIdentifier: {}, throttled: {}, errors: {} };

  record(kind: ResourceKind, key: string, identifier: string, status: string, note?: string): void {
    let h = this.histories.get(key);
    if (!h) {
      h = { kind, key, identifiers: [], entries: [] };
      this.histories.set(key, h);
    }
    if (!h.identifiers.includes(identifier)) h.identifiers.push(identifier);
    const entry: HistoryEntry = { time: new Date().toISOString(), status, identifier };
    if (note !== undefined) entry.note = note;
    h.entries.push(entry);
  }

  history(identifier?: string): ResourceHistory[] {
    const all = [...this.histories.values()];
    const pick = identifier === undefined ? all : all.filter((h) => h.identifiers.includes(identifier));
    return JSON.parse(JSON.stringify(pick)) as ResourceHistory[];
  }

  countCall(action: string, identifier: string | undefined): void {
    bump(this.counts.byAction, action);
    if (identifier !== undefined) {
      const per = (this.counts.byIdentifier[identifier] ??= {});
      bump(per, action);
    }
  }

  countThrottled(action: string): void {
    bump(this.counts.throttled, action);
  }

  countError(action: string): void {
    bump(this.counts.errors, action);
  }

  callCounts(): CallCounts {
    return JSON.parse(JSON.stringify(this.counts)) as CallCounts;
  }

  /** Opens and closes intervals so that exactly `answering` endpoints are open. */
  updateAvailability(answering: AnsweringEndpoint[]): void {
    const now = new Date().toISOString();
    const want = new Map(answering.map((a) => [a.address, a]));
    for (const [address, interval] of this.open) {
      const w = want.get(address);
      if (!w || w.identifier !== interval.identifier) {
        interval.to = now;
        this.open.delete(address);
      }
    }
    for (const a of answering) {
      if (this.open.has(a.address)) continue;
      let t = this.timelines.get(a.address);
      if (!t) {
        t = { address: a.address, kind: a.kind, intervals: [] };
        this.timelines.set(a.address, t);
      }
      const interval: AvailabilityInterval = { from: now, identifier: a.identifier };
      t.intervals.push(interval);
      this.open.set(a.address, interval);
    }
  }

  availabilityTimeline(address?: string): EndpointTimeline[] {
    const all = [...this.timelines.values()];
    const pick = address === undefined ? all : all.filter((t) => t.address === address);
    return JSON.parse(JSON.stringify(pick)) as EndpointTimeline[];
  }

  reset(): void {
    this.histories.clear();
    this.timelines.clear();
    this.open.clear();
    this.counts = { byAction: {}, byIdentifier: {}, throttled: {}, errors: {} };
  }
}
