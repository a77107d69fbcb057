/** Routing of events on a bus to matching rules' targets, with retries and dead-letter queues. */
import { matchesPattern } from './pattern';
import type { EventEnvelope, Rule, Target } from './model';
import type { EventBridgeState } from './state';
import { targetBody } from './transform';
import { WorkQueue } from './workQueue';

/** A delivery that retrying cannot fix (e.g. refused by the target bus's policy): no retries. */
export class PermanentDeliveryError extends Error {
  constructor(
    message: string,
    /** The `ERROR_CODE` the dead-lettered event carries. */
    readonly code = 'AccessDeniedException',
  ) {
    super(message);
  }
}

/** Delivers to an event bus of another account or region (the emulator's other partitions). */
export type RemoteBusDelivery = (targetArn: string, rule: Rule, target: Target, event: EventEnvelope) => void;

export interface SqsSender {
  send(
    queueArn: string,
    body: string,
    opts?: { messageGroupId?: string; attributes?: Record<string, string> },
  ): Promise<void>;
}

/** SQS errors no retry can fix: EventBridge sends the event to the dead-letter queue at once. */
const NOT_RETRYABLE =
  /NonExistentQueue|QueueDoesNotExist|InvalidMessageContents|KmsAccessDenied|AccessDenied/;

export interface DeliveryOptions {
  /** Deliveries in flight at once (default 64). */
  concurrency?: number;
  /** First retry delay; doubles per attempt up to `retryMaxDelayMs` (defaults 100 ms and 10 s). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Events kept per bus for the admin `recent` route (default 100). */
  recentLimit?: number;
}

/** A delivery as saved data (rule and target by name). */
export interface PendingDelivery {
  busName: string;
  ruleName: string;
  targetId: string;
  event: EventEnvelope;
  attempts: number;
  firstAt: number;
  /** When a retry is due (epoch ms); undefined = now. */
  dueAt?: number;
}

interface DeliveryJob {
  rule: Rule;
  target: Target;
  event: EventEnvelope;
  attempts: number;
  firstAt: number;
}

/** AWS defaults when a target has no RetryPolicy. */
const DEFAULT_RETRY = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

/** The AWS error code of a failed send (SQS's code, else the error's name). */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown }; name?: unknown };
  return String(e?.cause?.code ?? e?.code ?? e?.name ?? 'InternalError');
}

export class Router {
  private readonly queue: WorkQueue<DeliveryJob>;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly recentLimit: number;

  constructor(
    private readonly state: EventBridgeState,
    private readonly sqs: SqsSender,
    private readonly log: (line: string) => void,
    private readonly onAccepted: (busArn: string, event: EventEnvelope) => void,
    opts: DeliveryOptions = {},
    private readonly remote?: RemoteBusDelivery,
  ) {
    this.queue = new WorkQueue(opts.concurrency ?? 64, (job) => this.deliver(job));
    this.baseDelay = opts.retryBaseDelayMs ?? 100;
    this.maxDelay = opts.retryMaxDelayMs ?? 10_000;
    this.recentLimit = opts.recentLimit ?? 100;
  }

  /**
   * Puts an event on a bus: records it, archives it (unless it is a replay) and queues one delivery per
   * target of every enabled rule that matches. `ruleArns` restricts the rules (replay FilterArns).
   * Throws ResourceNotFoundException when the bus does not exist.
   */
  route(busNameOrArn: string, event: EventEnvelope, ruleArns?: ReadonlySet<string>): void {
    const bus = this.state.bus(busNameOrArn);
    bus.recent.push(event);
    if (bus.recent.length > this.recentLimit) bus.recent.splice(0, bus.recent.length - this.recentLimit);
    if (event['replay-name'] === undefined) this.onAccepted(bus.arn, event);
    const now = Date.now();
    for (const rule of bus.rules.values()) {
      if (rule.state !== 'ENABLED' || !rule.eventPattern) continue;
      if (ruleArns && !ruleArns.has(rule.arn)) continue;
      if (!matchesPattern(rule.eventPattern, event)) continue;
      for (const target of rule.targets.values()) {
        this.queue.push({ rule, target, event, attempts: 0, firstAt: now });
      }
    }
  }

  get pending(): number {
    return this.queue.pending;
  }

  /** Resolves when no delivery is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  close(): void {
    this.queue.close();
  }

  /** Deliveries not finished (queued, running, or waiting for a retry), as data. */
  pendingDeliveries(): PendingDelivery[] {
    return this.queue.snapshot().map(({ item: job, dueAt }) => ({
      busName: job.rule.busName,
      ruleName: job.rule.name,
      targetId: job.target.id,
      event: job.event,
      attempts: job.attempts,
      firstAt: job.firstAt,
      dueAt,
    }));
  }

  /** Queues deliveries saved by `pendingDeliveries` (those whose rule or target is gone are dropped). */
  resumeDeliveries(deliveries: PendingDelivery[]): void {
    for (const d of deliveries) {
      const rule = this.state.buses.get(d.busName)?.rules.get(d.ruleName);
      const target = rule?.targets.get(d.targetId);
      if (!rule || !target) continue;
      const job: DeliveryJob = { rule, target, event: d.event, attempts: d.attempts, firstAt: d.firstAt };
      if (d.dueAt === undefined) this.queue.push(job);
      else this.queue.later(job, Math.max(0, d.dueAt - Date.now()));
    }
  }

  private async send(job: DeliveryJob): Promise<void> {
    const { target, rule, event } = job;
    if (target.arn.startsWith('arn:aws:sqs:')) {
      const opts =
        target.messageGroupId === undefined ? undefined : { messageGroupId: target.messageGroupId };
      await this.sqs.send(target.arn, targetBody(target, rule, event), opts);
      return;
    }
    const busName = this.state.arns.busNameOf(target.arn);
    if (busName !== undefined) return this.route(busName, event);
    if (!this.remote) throw new Error(`unsupported target ${target.arn}`);
    this.remote(target.arn, rule, target, event);
  }

  private async deliver(job: DeliveryJob): Promise<void> {
    try {
      await this.send(job);
      this.state.stats.delivered++;
    } catch (err) {
      await this.failed(job, err);
    }
  }

  private async failed(job: DeliveryJob, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    const code = errorCode(err);
    const retryable = !(err instanceof PermanentDeliveryError) && !NOT_RETRYABLE.test(code);
    const policy = job.target.retryPolicy ?? DEFAULT_RETRY;
    const delay = Math.min(this.baseDelay * 2 ** job.attempts, this.maxDelay);
    const ageAfterDelay = (Date.now() + delay - job.firstAt) / 1000;
    const retriesLeft = job.attempts < policy.maximumRetryAttempts;
    if (retryable && retriesLeft && ageAfterDelay <= policy.maximumEventAgeSeconds) {
      this.state.stats.retries++;
      this.queue.later({ ...job, attempts: job.attempts + 1 }, delay);
      return;
    }
    this.state.stats.failedDeliveries++;
    const what = `events: delivery of ${job.event.id} to ${job.target.arn} (rule ${job.rule.arn}) failed after ${job.attempts + 1} attempt(s): ${reason}`;
    const dlq = job.target.deadLetterArn;
    if (dlq === undefined) return this.log(`${what}; dropped (no dead-letter queue)`);
    // The attributes EventBridge puts on a dead-lettered event: why, which rule and target, how many retries.
    const attributes = {
      ERROR_CODE: code,
      ERROR_MESSAGE: reason.slice(0, 1000),
      EXHAUSTED_RETRY_CONDITION: !retryable
        ? 'NonRetryableError'
        : retriesLeft
          ? 'MaximumEventAgeExceeded'
          : 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: String(job.attempts),
      RULE_ARN: job.rule.arn,
      TARGET_ARN: job.target.arn,
    };
    try {
      await this.sqs.send(dlq, JSON.stringify(job.event), { attributes });
      this.state.stats.deadLettered++;
      this.log(`${what}; sent to dead-letter queue ${dlq}`);
    } catch (dlqErr) {
      this.log(
        `${what}; dead-letter queue ${dlq} also failed: ${dlqErr instanceof Error ? dlqErr.message : String(dlqErr)}`,
      );
    }
  }
}
