/** The parts of fauxqs's stores that hold state (its classes are not exported; fields as in 1.9.x). */
interface Queue {
  name: string;
  url: string;
  arn: string;
  createdTimestamp: number;
  lastModifiedTimestamp: number;
  attributes: Record<string, string>;
  tags: Map<string, string>;
  messages: unknown[];
  inflightMessages: Map<string, { receiptHandle: string }>;
  delayedMessages: unknown[];
  fifoMessages: Map<string, unknown[]>;
  fifoDelayed: Map<string, unknown[]>;
  fifoLockedGroups: Map<string, number>;
  sequenceCounter: number;
}

interface Stores {
  sqsStore: {
    queues: Map<string, Queue>;
    createQueue(name: string, url: string, arn: string): Queue;
  };
  snsStore: { topics: Map<string, { arn: string }>; subscriptions: Map<string, { arn: string }> };
}

type QueueDump = Omit<Queue, 'inflightMessages'> & { inflightMessages: { receiptHandle: string }[] };

export interface FauxqsDump {
  queues: QueueDump[];
  topics: { arn: string }[];
  subscriptions: { arn: string }[];
}

/** Dumps and loads the stores of one fauxqs app. */
export interface FauxqsState {
  dump(): FauxqsDump;
  load(state: FauxqsDump): void;
}

/**
 * SQS queues with every message (ready, delayed, in flight with its visibility deadline, FIFO groups)
 * and SNS topics and subscriptions of one fauxqs app. Deadlines are absolute times, so time passes
 * while the cloud is down: a message whose delay ended meanwhile is ready at once. FIFO deduplication
 * ids are not kept.
 */
export function fauxqsState(stores: unknown): FauxqsState {
  const { sqsStore, snsStore } = stores as Stores;
  return {
    dump() {
      return {
        queues: [...sqsStore.queues.values()].map((q) => ({
          name: q.name,
          url: q.url,
          arn: q.arn,
          createdTimestamp: q.createdTimestamp,
          lastModifiedTimestamp: q.lastModifiedTimestamp,
          attributes: q.attributes,
          tags: q.tags,
          messages: q.messages,
          inflightMessages: [...q.inflightMessages.values()],
          delayedMessages: q.delayedMessages,
          fifoMessages: q.fifoMessages,
          fifoDelayed: q.fifoDelayed,
          fifoLockedGroups: q.fifoLockedGroups,
          sequenceCounter: q.sequenceCounter,
        })),
        topics: [...snsStore.topics.values()],
        subscriptions: [...snsStore.subscriptions.values()],
      };
    },
    load(dump) {
      for (const d of dump.queues) {
        const q = sqsStore.createQueue(d.name, d.url, d.arn);
        Object.assign(q, {
          ...d,
          inflightMessages: new Map(d.inflightMessages.map((e) => [e.receiptHandle, e])),
        });
      }
      for (const t of dump.topics) snsStore.topics.set(t.arn, t);
      for (const s of dump.subscriptions) snsStore.subscriptions.set(s.arn, s);
    },
  };
}
