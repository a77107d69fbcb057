import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import type { RuntimeFunction } from './functions';
import type { LambdaHandler } from './handlerLoader';
import type { InvocationLog, InvocationOutcome } from './invocationLog';
import { lambdaContext, sqsEvent } from './lambdaEvent';

export interface PollerDeps {
  sqs: SQSClient;
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

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

class TimeoutError extends Error {}

/** Which messages to delete after an invocation, as Lambda does with ReportBatchItemFailures on. */
export function settle(
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

/** Polls one function's queue with `maxConcurrency` long-polling receivers and invokes its handler. */
export class FunctionPoller {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private source?: Promise<{ url: string; arn: string }>;

  constructor(
    readonly fn: RuntimeFunction,
    private readonly handler: LambdaHandler,
    private readonly deps: PollerDeps,
  ) {}

  start(): void {
    for (let i = 0; i < Math.max(1, this.fn.maxConcurrency); i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  /** The queue may not exist yet (tests create it after start): retry until it does. */
  private resolveQueue(): Promise<{ url: string; arn: string }> {
    this.source ??= (async () => {
      let delay = 50;
      for (;;) {
        try {
          const { QueueUrl } = await this.deps.sqs.send(
            new GetQueueUrlCommand({ QueueName: this.fn.queueName }),
            {
              abortSignal: this.abort.signal,
            },
          );
          const attrs = await this.deps.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
            { abortSignal: this.abort.signal },
          );
          return { url: QueueUrl ?? '', arn: attrs.Attributes?.QueueArn ?? '' };
        } catch (err) {
          if (this.abort.signal.aborted) throw err;
          await sleep(delay, this.abort.signal);
          delay = Math.min(delay * 2, 1000);
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
        const { Messages } = await this.deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(10, Math.max(1, this.fn.batchSize)),
            WaitTimeSeconds: this.deps.pollWaitSeconds,
            VisibilityTimeout: this.deps.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        if (Messages && Messages.length > 0) await this.invoke(queue, Messages);
      } catch (err) {
        if (signal.aborted) return;
        this.deps.logLine(`[runtime] ${this.fn.name}: receive failed: ${(err as Error).message}; retrying`);
        this.source = undefined;
        await sleep(500, signal);
      }
    }
  }

  private async invoke(queue: { url: string; arn: string }, messages: Message[]): Promise<void> {
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
        Promise.resolve().then(() => this.handler(event, context)),
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
      await this.deps.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
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
