import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** An SQS action of fauxqs, called without Fastify: `(input, store, request)`. */
type Action = (
  input: Record<string, unknown>,
  store: unknown,
  request: { headers: Record<string, string> },
) => unknown;

export interface FauxqsInternals {
  stores(): { sqsStore: unknown; snsStore: unknown; s3Store: unknown };
  actions: Record<string, Action>;
}

/** The SQS actions the local cloud calls in process (EventBridge delivery and the function runtime). */
const ACTIONS: Record<string, string> = {
  SendMessage: 'sendMessage',
  ReceiveMessage: 'receiveMessage',
  DeleteMessageBatch: 'deleteMessageBatch',
  GetQueueAttributes: 'getQueueAttributes',
};

function findDist(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const dist = join(dir, 'node_modules', 'fauxqs', 'dist');
    if (existsSync(join(dist, 'sqs', 'sqsStore.js'))) return dist;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * SQS accepts #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message body.
 * fauxqs 1.9.x tests a body with a regular expression without the `u` flag, so the two halves of a
 * surrogate pair (any character above U+FFFF: most emoji) count as invalid and the message is refused.
 * Its send actions share that RegExp object: its `test` is replaced with the same rule over code points.
 */
const VALID_BODY = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

function allowSupplementaryCharacters(sqsTypes: Record<string, unknown>): void {
  const invalid = sqsTypes.INVALID_MESSAGE_BODY_CHAR;
  // once per process: the module (and its RegExp) is shared by every local cloud started in it
  if (invalid instanceof RegExp && !Object.hasOwn(invalid, 'test')) {
    Object.defineProperty(invalid, 'test', { value: (body: string) => !VALID_BODY.test(body) });
  }
}

/**
 * fauxqs's stores and SQS action functions (not part of its public exports, so loaded by file path).
 * Calling them directly skips Fastify's request injection: measured about 3x cheaper per call, which
 * matters on every EventBridge delivery and every runtime receive and delete. Undefined when the
 * installed fauxqs is laid out differently; callers then inject requests instead.
 */
export async function loadFauxqsInternals(): Promise<FauxqsInternals | undefined> {
  const dist = findDist(__dirname);
  if (!dist) return undefined;
  const load = (path: string) =>
    import(pathToFileURL(join(dist, path)).href) as Promise<Record<string, unknown>>;
  try {
    allowSupplementaryCharacters(await load('sqs/sqsTypes.js'));
    const [sqs, sns, s3] = await Promise.all([
      load('sqs/sqsStore.js'),
      load('sns/snsStore.js'),
      load('s3/s3Store.js'),
    ]);
    const actions: Record<string, Action> = {};
    for (const [action, fn] of Object.entries(ACTIONS)) {
      const mod = await load(`sqs/actions/${fn}.js`);
      if (typeof mod[fn] !== 'function') return undefined;
      actions[action] = mod[fn] as Action;
    }
    type Store = new () => unknown;
    const [SqsStore, SnsStore, S3Store] = [sqs.SqsStore, sns.SnsStore, s3.S3Store] as Store[];
    if (!SqsStore || !SnsStore || !S3Store) return undefined;
    return {
      stores: () => ({ sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() }),
      actions,
    };
  } catch {
    return undefined;
  }
}
