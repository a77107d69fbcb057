import type { Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import type { RuntimeFunction } from './functions';
import type { LambdaHandler } from './handlerLoader';
import type { InvocationLog, InvocationOutcome } from './invocationLog';
import type { QueueRef, QueueTransport } from './queueTransport';
import { runWithFunctionEnv } from './functionEnv';
import { lambdaContext, sqsEvent } from './lambdaEvent';

export interface PollerDeps {
  queues: QueueTransport;
  log: InvocationLog;
  region: string;
  accountId: string;
  /** Overrides the queue's visibility timeout on receive (tests of redelivery). */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait per ReceiveMessage (1-20). */
  pollWaitSeconds: number;
  logLine: (line: string) => void;
  logInvocations: boolean;
}

/** Sleeps until `ms` pass or the signal aborts; the abort listener is removed either way (no leak). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

class TimeoutError extends Error {}

/** Which messages to delete after an invocation, as Lambda does with ReportBatchItemFailures on. */
function settle(
  messages: readonly Message[],
  result: unknown,
): { outcome: InvocationOutcome; failed: Set<string> } {
  const ids = new Set(messages.map((m) => m.MessageId ?? ''));
  const failures = (result as SQSBatchResponse | undefined)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return { outcome: 'success', failed: new Set() };
  const failed = new Set<string>();
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown })?.itemIdentifier;
    // An empty or unknown identifier makes Lambda treat the whole batch as failed.
    if (typeof id !== 'string' || !ids.has(id)) return { outcome: 'partial', failed: ids };
    failed.add(id);
  }
  return { outcome: 'partial', failed };
}

/**
 * Polls one function's queue and invokes its handler, scaling like Lambda's event source mapping:
 * one long-polling receiver while the queue is quiet (a message wakes every waiting receiver, so idle
 * extra receivers would cost a round trip per message each), one more per full batch received (a
 * backlog), up to `maxConcurrency`; extra receivers leave when a receive comes back empty.
 */
export class FunctionPoller {
  private readonly abort = new AbortController();
  private readonly workers = new Set<Promise<void>>();
  private source?: Promise<QueueRef>;
  /** Receivers that have not decided to leave (decided synchronously, so two never both leave the last slot). */
  private running = 0;

  constructor(
    readonly fn: RuntimeFunction,
    private readonly handler: LambdaHandler,
    private readonly deps: PollerDeps,
  ) {}

  private get batchSize(): number {
    return Math.min(10, Math.max(1, this.fn.batchSize));
  }

  start(): void {
    this.spawnWorker();
  }

  /** Receivers running now. */
  get concurrency(): number {
    return this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    while (this.workers.size > 0) await Promise.all([...this.workers]);
  }

  private spawnWorker(): void {
    if (this.abort.signal.aborted || this.running >= Math.max(1, this.fn.maxConcurrency)) return;
    this.running++;
    const worker: Promise<void> = this.loop().finally(() => this.workers.delete(worker));
    this.workers.add(worker);
  }

  /** The queue may not exist yet (tests create it after start): retry until it does. */
  private resolveQueue(): Promise<QueueRef> {
    this.source ??= (async () => {
      let delay = 50;
      for (;;) {
        try {
          return await this.deps.queues.resolve(this.fn.queueName, this.abort.signal);
        } catch (err) {
          if (this.abort.signal.aborted) throw err;
          await sleep(delay, this.abort.signal);
          delay = Math.min(delay * 2, 250);
        }
      }
    })();
    return this.source;
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const queue = await this.resolveQueue();
        const Messages = await this.deps.queues.receive(
          {
            url: queue.url,
            max: this.batchSize,
            waitSeconds: this.deps.pollWaitSeconds,
            visibilityTimeoutSeconds: this.deps.visibilityTimeoutSeconds,
          },
          signal,
        );
        if (signal.aborted) return;
        if (!Messages || Messages.length === 0) {
          if (this.running > 1) {
            this.running--;
            return;
          }
          continue;
        }
        if (Messages.length >= this.batchSize) this.spawnWorker();
        await this.invoke(queue, Messages);
      } catch (err) {
        if (signal.aborted) return;
        this.deps.logLine(`[runtime] ${this.fn.name}: receive failed: ${(err as Error).message}; retrying`);
        this.source = undefined;
        await sleep(500, signal);
      }
    }
  }

  private async invoke(queue: QueueRef, messages: Message[]): Promise<void> {
    const started = Date.now();
    const deadline = started + this.fn.timeoutSeconds * 1000;
    const context = lambdaContext({
      functionName: this.fn.name,
      region: this.deps.region,
      accountId: this.deps.accountId,
      memoryMb: this.fn.memoryMb ?? 128,
      deadline,
    });
    const event = sqsEvent(messages, { queueArn: queue.arn, region: this.deps.region });
    let timer: NodeJS.Timeout | undefined;
    let outcome: InvocationOutcome;
    let failed: Set<string>;
    let error: string | undefined;
    try {
      const result = await Promise.race([
        runWithFunctionEnv(this.fn.ownEnv, () => Promise.resolve().then(() => this.handler(event, context))),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new TimeoutError(`Task timed out after ${this.fn.timeoutSeconds} seconds`)),
            deadline - Date.now(),
          );
        }),
      ]);
      ({ outcome, failed } = settle(messages, result));
    } catch (err) {
      outcome = err instanceof TimeoutError ? 'timeout' : 'error';
      failed = new Set(messages.map((m) => m.MessageId ?? ''));
      error = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length > 0) {
      await this.deps.queues.deleteBatch(
        queue.url,
        done.map((m) => m.ReceiptHandle ?? ''),
      );
    }
    const durationMs = Date.now() - started;
    this.deps.log.add({
      functionName: this.fn.name,
      requestId: context.awsRequestId,
      records: messages.length,
      messageIds: messages.map((m) => m.MessageId ?? ''),
      failedMessageIds: [...failed],
      outcome,
      error,
      startedAt: new Date(started).toISOString(),
      durationMs,
    });
    if (this.deps.logInvocations) {
      const detail = error ? `: ${error}` : failed.size > 0 ? ` (${failed.size} failed)` : '';
      this.deps.logLine(
        `[runtime] ${this.fn.name} ${messages.length} record(s) ${durationMs}ms ${outcome}${detail}`,
      );
    }
  }
}
