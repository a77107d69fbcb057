import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface QueueRef {
  url: string;
  arn: string;
}

interface ReceiveInput {
  url: string;
  max: number;
  waitSeconds: number;
  visibilityTimeoutSeconds?: number;
}

/** The four SQS calls the runtime makes, over the SDK (any endpoint) or in process (the local cloud's own SQS). */
export interface QueueTransport {
  /** Rejects while the queue does not exist. */
  resolve(queueName: string, signal: AbortSignal): Promise<QueueRef>;
  /** Resolves with no messages when `signal` aborts. */
  receive(input: ReceiveInput, signal: AbortSignal): Promise<Message[]>;
  deleteBatch(url: string, receiptHandles: string[]): Promise<void>;
}

/** ReceiveMessage as the event source mapping makes it: every system and message attribute. */
function receiveMessageInput(input: ReceiveInput) {
  return {
    QueueUrl: input.url,
    MaxNumberOfMessages: input.max,
    WaitTimeSeconds: input.waitSeconds,
    VisibilityTimeout: input.visibilityTimeoutSeconds,
    MessageSystemAttributeNames: ['All' as const],
    MessageAttributeNames: ['All'],
  };
}

/**
 * A signal for one request, aborted with the long-lived one. The SDK leaves its abort listener on the
 * signal it is given; a fresh signal per request keeps the poller's own signal from collecting them.
 */
async function perRequest<T>(
  signal: AbortSignal,
  call: (requestSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await call(controller.signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export function sdkQueueTransport(sqs: SQSClient): QueueTransport {
  return {
    async resolve(queueName, signal) {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }), {
        abortSignal: signal,
      });
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
        {
          abortSignal: signal,
        },
      );
      return { url: QueueUrl ?? '', arn: attrs.Attributes?.QueueArn ?? '' };
    },
    async receive(input, signal) {
      try {
        const { Messages } = await perRequest(signal, (abortSignal) =>
          sqs.send(new ReceiveMessageCommand(receiveMessageInput(input)), { abortSignal }),
        );
        return Messages ?? [];
      } catch (err) {
        if (signal.aborted) return [];
        throw err;
      }
    },
    async deleteBatch(url, receiptHandles) {
      const out = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: receiptHandles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
        }),
      );
      if (out.Failed?.length)
        throw new Error(`DeleteMessageBatch failed: ${out.Failed.map((f) => f.Message).join('; ')}`);
    },
  };
}

/** A JSON-protocol SQS call served in process (see `FauxqsService.sqsCall`). */
export type SqsCall = (action: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * In-process transport: the same SQS API without HTTP, signing and SDK (measured: several ms of CPU per
 * message less, which is most of the event -> handler latency on a busy machine).
 */
export function inProcessQueueTransport(call: SqsCall, queueUrl: (name: string) => string): QueueTransport {
  const release = async (url: string, messages: Message[] | undefined) => {
    if (!messages?.length) return;
    await call('ChangeMessageVisibilityBatch', {
      QueueUrl: url,
      Entries: messages.map((m, i) => ({
        Id: String(i),
        ReceiptHandle: m.ReceiptHandle,
        VisibilityTimeout: 0,
      })),
    });
  };
  return {
    async resolve(queueName) {
      const url = queueUrl(queueName);
      const out = await call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['QueueArn'] });
      return { url, arn: String((out.Attributes as Record<string, string>).QueueArn) };
    },
    async receive(input, signal) {
      if (signal.aborted) return [];
      const received = call('ReceiveMessage', { ...receiveMessageInput(input) });
      // An in-process long poll cannot be cancelled; on abort it is left to end when the queue service closes.
      let onAbort = () => {};
      const aborted = new Promise<undefined>((resolve) => {
        onAbort = () => resolve(undefined);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const out = await Promise.race([received, aborted]);
        if (out === undefined) {
          // Stopped: whatever the abandoned poll still receives goes back to the queue at once, rather
          // than staying invisible for the visibility timeout (e.g. in the state saved at stop).
          void received
            .then((late) => release(input.url, late.Messages as Message[] | undefined))
            .catch(() => undefined);
          return [];
        }
        return ((out.Messages as Message[] | undefined) ?? []).slice();
      } finally {
        signal.removeEventListener('abort', onAbort); // one listener per receive would pile up on the poller's signal
      }
    },
    async deleteBatch(url, receiptHandles) {
      const out = await call('DeleteMessageBatch', {
        QueueUrl: url,
        Entries: receiptHandles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
      });
      const failed = out.Failed as { Message?: string }[] | undefined;
      if (failed?.length)
        throw new Error(`DeleteMessageBatch failed: ${failed.map((f) => f.Message).join('; ')}`);
    },
  };
}
