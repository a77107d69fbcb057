import { randomUUID } from 'node:crypto';
import type { LocalIdentity, LocalRequest, LocalResponse, EmulatedService } from '../types';
import { internalQueueUrlFromArn, INTERNAL_HOST, toClientUrls, toInternalQueueUrl } from './queueUrls';

type FauxqsApp = ReturnType<(typeof import('fauxqs'))['buildApp']>;

/** What the EventBridge emulator uses to deliver to SQS targets. */
export interface SqsSender {
  send(queueArn: string, body: string, opts?: { messageGroupId?: string }): Promise<void>;
}

/** What the RDS emulator uses to publish event-subscription notifications. */
export interface SnsPublisher {
  publish(topicArn: string, message: string, subject?: string): Promise<void>;
}

export interface FauxqsService extends EmulatedService {
  readonly sqs: SqsSender;
  readonly sns: SnsPublisher;
}

/** SQS actions whose responses carry queue URLs. */
const URL_RESULTS = new Set(['CreateQueue', 'GetQueueUrl', 'ListQueues', 'ListDeadLetterSourceQueues']);

function regionOf(req: LocalRequest, fallback: string): string {
  const auth = req.headers['authorization'];
  const m = typeof auth === 'string' ? /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth) : null;
  return m?.[1] ?? fallback;
}

/**
 * SQS, SNS (and STS GetCallerIdentity) served by fauxqs in process: requests are injected into its
 * Fastify app without a socket (measured faster than proxying to it over loopback HTTP).
 */
export async function createFauxqsService(identity: LocalIdentity): Promise<FauxqsService> {
  const { buildApp } = await import('fauxqs');
  const app: FauxqsApp = buildApp({ logger: false, defaultRegion: identity.region });
  await app.ready();

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

  async function handle(req: LocalRequest): Promise<LocalResponse> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && k !== 'host' && k !== 'content-length')
        headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    let body: string | Buffer = req.body;
    const target = headers['x-amz-target'];
    const action = target?.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : undefined;
    if (action && body.length > 0) {
      const parsed = JSON.parse(body.toString('utf8')) as { QueueUrl?: unknown };
      if (typeof parsed.QueueUrl === 'string') {
        parsed.QueueUrl = toInternalQueueUrl(parsed.QueueUrl, regionOf(req, identity.region));
        body = JSON.stringify(parsed);
      }
    }
    const url = req.query.size > 0 ? `${req.path}?${req.query.toString()}` : req.path;
    const res = await inject(req.method, url, headers, body);
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined && k !== 'content-length' && k !== 'connection' && k !== 'transfer-encoding') {
        outHeaders[k] = Array.isArray(v) ? v.join(',') : String(v);
      }
    }
    let outBody: string | Buffer = res.body;
    if (action && URL_RESULTS.has(action)) {
      const host = typeof req.headers.host === 'string' ? req.headers.host : '127.0.0.1:4566';
      outBody = toClientUrls(res.body.toString('utf8'), `http://${host}`);
    }
    return { status: res.status, headers: outHeaders, body: outBody };
  }

  const sqsJson = (action: string) => ({
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `AmazonSQS.${action}`,
  });

  const sqs: SqsSender = {
    async send(queueArn, messageBody, opts) {
      const input: Record<string, string> = {
        QueueUrl: internalQueueUrlFromArn(queueArn),
        MessageBody: messageBody,
      };
      if (opts?.messageGroupId) {
        input.MessageGroupId = opts.messageGroupId;
        input.MessageDeduplicationId = randomUUID();
      }
      const res = await inject('POST', '/', sqsJson('SendMessage'), JSON.stringify(input));
      if (res.status !== 200)
        throw new Error(
          `SQS SendMessage to ${queueArn} failed (${res.status}): ${res.body.toString('utf8')}`,
        );
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

  return {
    signingNames: ['sqs', 'sns', 'sts'],
    handle,
    sqs,
    sns,
    close: () => app.close(),
  };
}
