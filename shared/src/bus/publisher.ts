import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { parseEventOrThrow } from '../contracts/parse';
import type { EventInput, EventName } from '../contracts/events';
import { PublishError, RewindError, type UnpublishedEntry } from '../errors';

const MAX_ENTRIES_PER_CALL = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const RETRYABLE_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);
const RETRYABLE_CALL_ERRORS = new Set([
  'ThrottlingException',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
]);

export interface OutgoingEvent<N extends EventName = EventName> {
  name: N;
  detail: EventInput<N>;
  resources?: string[];
}

export interface PublisherOptions {
  busName: string;
  source?: string;
  /** Attempts per entry, including the first. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function runIdOf(detail: unknown): string | undefined {
  const d = detail as { run?: { id?: string }; runId?: string } | undefined;
  return d?.run?.id ?? d?.runId;
}

/**
 * Publishes events to the bus: validates each against its contract, sends batches of at most 10,
 * checks every entry's result, retries throttled and internal failures with exponential backoff and
 * jitter, and throws PublishError naming what could not be published.
 */
export class EventPublisher {
  private readonly source: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: PublisherOptions,
  ) {
    this.source = options.source ?? 'rewind';
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.sleep = options.sleep ?? realSleep;
  }

  get busName(): string {
    return this.options.busName;
  }

  async publish<N extends EventName>(name: N, detail: EventInput<N>, resources?: string[]): Promise<void> {
    await this.publishAll([{ name, detail, resources } as OutgoingEvent]);
  }

  async publishAll(events: readonly OutgoingEvent[]): Promise<void> {
    const entries = events.map((e) => this.toEntry(e));
    const unpublished: UnpublishedEntry[] = [];
    for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_CALL) {
      unpublished.push(...(await this.sendBatch(entries.slice(i, i + MAX_ENTRIES_PER_CALL))));
    }
    if (unpublished.length) throw new PublishError(this.options.busName, unpublished);
  }

  private toEntry(event: OutgoingEvent): PutEventsRequestEntry {
    const detail = parseEventOrThrow(event.name, event.detail);
    const entry: PutEventsRequestEntry = {
      EventBusName: this.options.busName,
      Source: this.source,
      DetailType: event.name,
      Detail: JSON.stringify(detail),
      Resources: event.resources,
    };
    const size = Buffer.byteLength(entry.Detail!) + event.name.length + this.source.length;
    if (size > MAX_ENTRY_BYTES) {
      throw new RewindError(
        'EntryTooLarge',
        `${event.name} for run ${runIdOf(detail) ?? '?'} is ${size} bytes; EventBridge accepts at most ${MAX_ENTRY_BYTES}`,
      );
    }
    return entry;
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return cap / 2 + Math.random() * (cap / 2);
  }

  /** Sends one batch, retrying what can be retried; returns the entries that were not published. */
  private async sendBatch(batch: PutEventsRequestEntry[]): Promise<UnpublishedEntry[]> {
    const failed: UnpublishedEntry[] = [];
    let pending = batch;
    let lastErrors = new Map<PutEventsRequestEntry, { code: string; message: string }>();
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length; attempt++) {
      if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
      let results: PutEventsResultEntry[];
      try {
        const out = await this.client.send(new PutEventsCommand({ Entries: pending }));
        if (!out.FailedEntryCount) return failed;
        results = out.Entries ?? [];
      } catch (err) {
        const name = (err as Error).name;
        lastErrors = new Map(pending.map((e) => [e, { code: name, message: (err as Error).message }]));
        if (RETRYABLE_CALL_ERRORS.has(name)) continue;
        break;
      }
      const retry: PutEventsRequestEntry[] = [];
      lastErrors = new Map();
      pending.forEach((entry, index) => {
        const result = results[index];
        if (!result?.ErrorCode) return;
        const error = { code: result.ErrorCode, message: result.ErrorMessage ?? '' };
        if (RETRYABLE_ENTRY_CODES.has(result.ErrorCode)) {
          retry.push(entry);
          lastErrors.set(entry, error);
        } else failed.push(this.unpublished(entry, error)); // permanent: not retried
      });
      pending = retry;
    }
    return [
      ...failed,
      ...pending.map((entry) =>
        this.unpublished(entry, lastErrors.get(entry) ?? { code: 'Unknown', message: 'not published' }),
      ),
    ];
  }

  private unpublished(
    entry: PutEventsRequestEntry,
    error: { code: string; message: string },
  ): UnpublishedEntry {
    const detail = entry.Detail ? (JSON.parse(entry.Detail) as unknown) : undefined;
    return {
      detailType: entry.DetailType ?? '?',
      runId: runIdOf(detail),
      errorCode: error.code,
      errorMessage: error.message,
    };
  }
}
