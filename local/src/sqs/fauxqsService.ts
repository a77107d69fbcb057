import { randomUUID } from 'node:crypto';
import { signingNameOf } from '../http';
import type { LocalIdentity, LocalRequest, LocalResponse, EmulatedService } from '../types';
import { Partitions, resolveCaller, type IdentityOptions } from '../edge/identity';
import type { SqsSender } from '../eventbridge/router';
import { partitionedState } from '../persistence/partitioned';
import { loadFauxqsInternals, type FauxqsInternals } from './fauxqsInternals';
import { fauxqsState, type FauxqsDump, type FauxqsState } from './fauxqsState';
import { decodeSqsQuery, encodeSqsQueryError, encodeSqsQueryResult } from './queryProtocol';
import { internalQueueUrlFromArn, INTERNAL_HOST, toClientUrls, toInternalQueueUrl } from './queueUrls';

type FauxqsApp = ReturnType<(typeof import('fauxqs'))['buildApp']>;

/** What the EventBridge emulator uses to deliver to SQS targets. */
export type { SqsSender };

/** What the RDS emulator uses to publish event-subscription notifications. */
export interface SnsPublisher {
  publish(topicArn: string, message: string, subject?: string): Promise<void>;
}

/** What the RDS emulator uses to write exports into an account's S3 bucket. */
export interface S3Writer {
  /** The bucket's region (as it was created through the edge), undefined when it does not exist. */
  bucketRegion(accountId: string, bucket: string): Promise<string | undefined>;
  putObject(accountId: string, bucket: string, key: string, body: string | Buffer): Promise<void>;
}

export interface FauxqsService extends EmulatedService {
  readonly sqs: SqsSender;
  readonly s3: S3Writer;
  readonly sns: SnsPublisher;
  /** An SQS JSON-protocol call in process, on internal queue URLs (`internalQueueUrl`); rejects on an error. */
  sqsCall(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** SQS actions whose responses carry queue URLs. */
const URL_RESULTS = new Set(['CreateQueue', 'GetQueueUrl', 'ListQueues', 'ListDeadLetterSourceQueues']);

function regionOf(req: LocalRequest, fallback: string): string {
  const auth = req.headers['authorization'];
  const m = typeof auth === 'string' ? /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth) : null;
  return m?.[1] ?? fallback;
}

/** What one fauxqs app (one account's SQS and SNS, every region) offers. */
type AccountQueues = Pick<FauxqsService, 'handle' | 'sqs' | 'sns' | 'sqsCall'> & {
  /** Its queues, messages, topics and subscriptions (undefined when fauxqs's stores cannot be reached). */
  state: FauxqsState | undefined;
  close(): Promise<void>;
};

/** The account fauxqs writes into every queue URL and ARN. */
const FAUXQS_ACCOUNT = '000000000000';

/**
 * SQS, SNS (and STS GetCallerIdentity) served by fauxqs in process: requests are injected into its
 * Fastify app without a socket (measured faster than proxying to it over loopback HTTP). Each account
 * has its own fauxqs app (queues and topics); fauxqs itself knows one account id, so requests and
 * responses of the other accounts have their account id swapped for it and back.
 */
export async function createFauxqsService(callers: IdentityOptions): Promise<FauxqsService> {
  const { identity } = callers;
  const internals = await loadFauxqsInternals();
  const apps = new Partitions<Promise<AccountQueues>>((where) =>
    startAccountQueues({ accountId: where.accountId, region: identity.region }, internals),
  );
  const byAccount = (accountId: string) => apps.get({ accountId, region: '*' });
  const own = await byAccount(identity.accountId);
  // Every account but fauxqs's own is swapped, the default one too when it is another (identity.accountId).
  const swap = (accountId: string) => accountId !== FAUXQS_ACCOUNT;
  const unswapped = () => byAccount(FAUXQS_ACCOUNT);

  // S3 buckets' regions by account (fauxqs keeps none): from the CreateBucket request's signing region.
  const bucketRegions = new Map<string, string>();

  async function handle(req: LocalRequest): Promise<LocalResponse> {
    const { accountId, region } = resolveCaller(req, callers);
    if (signingNameOf(req.headers) === 's3') return handleS3(req, accountId, region);
    if (!swap(accountId)) return (await unswapped()).handle(req);
    const queues = await byAccount(accountId);
    const res = await queues.handle({
      ...req,
      path: swapAccount(req.path, accountId, FAUXQS_ACCOUNT),
      query: new URLSearchParams(swapAccount(req.query.toString(), accountId, FAUXQS_ACCOUNT)),
      body: Buffer.from(swapAccount(req.body.toString('utf8'), accountId, FAUXQS_ACCOUNT)),
    });
    return { ...res, body: swapAccount(res.body.toString(), FAUXQS_ACCOUNT, accountId) };
  }

  /** S3 (path-style): each account has its own buckets, in its own fauxqs. */
  async function handleS3(req: LocalRequest, accountId: string, region: string): Promise<LocalResponse> {
    const queues = await byAccount(accountId);
    const bucket = req.path.split('/')[1] ?? '';
    const onBucket = bucket !== '' && req.path.replace(/\/+$/, '') === `/${bucket}`;
    const res = await queues.handle(req);
    if (req.method === 'PUT' && onBucket && res.status === 200) {
      const constraint = /<LocationConstraint>([^<]+)<\/LocationConstraint>/.exec(req.body.toString('utf8'));
      bucketRegions.set(`${accountId}/${bucket}`, constraint?.[1] ?? region);
    }
    if (req.method === 'DELETE' && onBucket && res.status < 300)
      bucketRegions.delete(`${accountId}/${bucket}`);
    return res;
  }

  const s3: S3Writer = {
    async bucketRegion(accountId, bucket) {
      const queues = await byAccount(accountId);
      const res = await queues.handle({
        method: 'HEAD',
        path: `/${bucket}`,
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.alloc(0),
      });
      if (res.status !== 200) return undefined;
      return bucketRegions.get(`${accountId}/${bucket}`) ?? identity.region;
    },
    async putObject(accountId, bucket, key, body) {
      const queues = await byAccount(accountId);
      const res = await queues.handle({
        method: 'PUT',
        path: `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
        query: new URLSearchParams(),
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      });
      if (res.status !== 200) throw new Error(`S3 PutObject s3://${bucket}/${key} failed (${res.status})`);
    },
  };

  const sqs: SqsSender = {
    async send(queueArn, body, opts) {
      const accountId = queueArn.split(':')[4] ?? identity.accountId;
      if (!swap(accountId)) return (await unswapped()).sqs.send(queueArn, body, opts);
      const queues = await byAccount(accountId);
      return queues.sqs.send(swapAccount(queueArn, accountId, FAUXQS_ACCOUNT), body, opts);
    },
  };

  const sns: SnsPublisher = {
    async publish(topicArn, message, subject) {
      const accountId = topicArn.split(':')[4] ?? identity.accountId;
      if (!swap(accountId)) return (await unswapped()).sns.publish(topicArn, message, subject);
      const queues = await byAccount(accountId);
      return queues.sns.publish(swapAccount(topicArn, accountId, FAUXQS_ACCOUNT), message, subject);
    },
  };

  return {
    signingNames: ['sqs', 'sns', 'sts', 's3'],
    handle,
    sqs,
    s3,
    sns,
    sqsCall: swap(identity.accountId)
      ? async (action, input) => {
          const swapped = swapAccount(JSON.stringify(input), identity.accountId, FAUXQS_ACCOUNT);
          const out = await own.sqsCall(action, JSON.parse(swapped) as Record<string, unknown>);
          return JSON.parse(swapAccount(JSON.stringify(out), FAUXQS_ACCOUNT, identity.accountId)) as Record<
            string,
            unknown
          >;
        }
      : own.sqsCall,
    // Every account's queues and topics, as its fauxqs holds them (with fauxqs's own account id).
    persistence:
      own.state &&
      partitionedState<Promise<AccountQueues>, FauxqsDump>('sqs', apps, {
        dump: (queues) => (queues.state as FauxqsState).dump(),
        load: (queues, state) => (queues.state as FauxqsState).load(state),
      }),
    close: async () => {
      for (const app of apps.all()) await (await app).close();
    },
  };
}

/** fauxqs lists the queues of every region; a caller sees those of its own region (internal URLs name it). */
function onlyRegion(text: string, region: string): string {
  const out = JSON.parse(text) as { QueueUrls?: string[] };
  if (!out.QueueUrls) return text;
  out.QueueUrls = out.QueueUrls.filter((url) => url.startsWith(`http://sqs.${region}.`));
  return JSON.stringify(out);
}

/** Replaces an account id in URLs (`/id/`, URL-encoded or not), ARNs (`:id:`) and XML values (`>id<`). */
function swapAccount(text: string, from: string, to: string): string {
  if (!text.includes(from)) return text;
  return text
    .replaceAll(`/${from}/`, `/${to}/`)
    .replaceAll(`%2F${from}%2F`, `%2F${to}%2F`)
    .replaceAll(`:${from}:`, `:${to}:`)
    .replaceAll(`%3A${from}%3A`, `%3A${to}%3A`)
    .replaceAll(`>${from}<`, `>${to}<`);
}

async function startAccountQueues(
  identity: LocalIdentity,
  internals: FauxqsInternals | undefined,
): Promise<AccountQueues> {
  const { buildApp } = await import('fauxqs');
  type Stores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>['stores']>;
  const stores = internals?.stores() as Stores | undefined;
  const app: FauxqsApp = buildApp({ logger: false, defaultRegion: identity.region, stores });
  await app.ready();

  const sqsJson = (action: string) => ({
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `AmazonSQS.${action}`,
  });

  async function inject(
    method: string,
    url: string,
    headers: Record<string, string>,
    payload: string | Buffer,
  ) {
    const res = await app.inject({
      method: method as 'POST',
      url,
      headers: { ...headers, host: INTERNAL_HOST },
      payload,
    });
    return { status: res.statusCode, headers: res.headers, body: res.rawPayload };
  }

  function forwardHeaders(req: LocalRequest): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && k !== 'host' && k !== 'content-length')
        headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    return headers;
  }

  function responseHeaders(res: Awaited<ReturnType<typeof inject>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined && k !== 'content-length' && k !== 'connection' && k !== 'transfer-encoding') {
        out[k] = Array.isArray(v) ? v.join(',') : String(v);
      }
    }
    return out;
  }

  /** An SQS JSON-protocol call: queue URLs in, as fauxqs knows them; URLs out, on the client's host. */
  async function sqsJsonCall(req: LocalRequest, action: string, input: Record<string, unknown>) {
    if (typeof input.QueueUrl === 'string')
      input.QueueUrl = toInternalQueueUrl(input.QueueUrl, regionOf(req, identity.region));
    const headers = { ...forwardHeaders(req), ...sqsJson(action) };
    const res = await inject('POST', '/', headers, JSON.stringify(input));
    let text = res.body.toString('utf8');
    if (action === 'ListQueues' && res.status === 200)
      text = onlyRegion(text, regionOf(req, identity.region));
    if (URL_RESULTS.has(action)) {
      const host = typeof req.headers.host === 'string' ? req.headers.host : '127.0.0.1:4566';
      text = toClientUrls(text, `http://${host}`);
    }
    return { status: res.status, headers: responseHeaders(res), text };
  }

  async function handleSqsQuery(req: LocalRequest): Promise<LocalResponse> {
    const { action, input } = decodeSqsQuery(req.body.toString('utf8'));
    const res = await sqsJsonCall(req, action, input);
    const parsed = (res.text ? JSON.parse(res.text) : {}) as Record<string, unknown>;
    const requestId = randomUUID();
    const body =
      res.status === 200
        ? encodeSqsQueryResult(action, parsed, requestId)
        : encodeSqsQueryError(parsed, res.headers['x-amzn-query-error'], requestId);
    return { status: res.status, headers: { 'content-type': 'text/xml' }, body };
  }

  async function handle(req: LocalRequest): Promise<LocalResponse> {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AmazonSQS.')) {
      const input = (req.body.length > 0 ? JSON.parse(req.body.toString('utf8')) : {}) as Record<
        string,
        unknown
      >;
      const res = await sqsJsonCall(req, target.slice('AmazonSQS.'.length), input);
      return { status: res.status, headers: res.headers, body: res.text };
    }
    const isForm = String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
    if (isForm && signingNameOf(req.headers) === 'sqs') return handleSqsQuery(req);
    const url = req.query.size > 0 ? `${req.path}?${req.query.toString()}` : req.path;
    const res = await inject(req.method, url, forwardHeaders(req), req.body);
    return { status: res.status, headers: responseHeaders(res), body: res.body };
  }

  async function sqsCall(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const direct = internals?.actions[action];
    if (direct && stores) {
      try {
        return (await direct(input, stores.sqsStore, { headers: {} })) as Record<string, unknown>;
      } catch (err) {
        const e = err as { code?: string; message?: string };
        throw new Error(`SQS ${action} failed (${e.code ?? 'error'}): ${e.message ?? String(err)}`, {
          cause: err,
        });
      }
    }
    const res = await inject('POST', '/', sqsJson(action), JSON.stringify(input));
    const out = (res.body.length > 0 ? JSON.parse(res.body.toString('utf8')) : {}) as Record<string, unknown>;
    if (res.status !== 200)
      throw new Error(`SQS ${action} failed (${res.status}): ${String(out.message ?? out.__type)}`);
    return out;
  }

  const sqs: SqsSender = {
    async send(queueArn, messageBody, opts) {
      const input: Record<string, unknown> = {
        QueueUrl: internalQueueUrlFromArn(queueArn),
        MessageBody: messageBody,
      };
      if (opts?.attributes) {
        input.MessageAttributes = Object.fromEntries(
          Object.entries(opts.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        );
      }
      if (opts?.messageGroupId) {
        input.MessageGroupId = opts.messageGroupId;
        input.MessageDeduplicationId = randomUUID();
      }
      await sqsCall('SendMessage', input);
    },
  };

  const sns: SnsPublisher = {
    async publish(topicArn, message, subject) {
      const form = new URLSearchParams({ Action: 'Publish', TopicArn: topicArn, Message: message });
      if (subject) form.set('Subject', subject);
      const res = await inject(
        'POST',
        '/',
        { 'content-type': 'application/x-www-form-urlencoded' },
        form.toString(),
      );
      if (res.status !== 200)
        throw new Error(`SNS Publish to ${topicArn} failed (${res.status}): ${res.body.toString('utf8')}`);
    },
  };

  return { handle, sqs, sns, sqsCall, state: stores && fauxqsState(stores), close: () => app.close() };
}
