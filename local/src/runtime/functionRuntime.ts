import { Agent } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import { HandlerLoadError } from '../errors';
import type { RuntimeFunction } from './functions';
import { loadHandler } from './handlerLoader';
import type { FunctionStatus, InvocationLog } from './invocationLog';
import { FunctionPoller } from './poller';
import { sdkQueueTransport, type QueueTransport } from './queueTransport';

export interface FunctionRuntimeOptions {
  functions: readonly RuntimeFunction[];
  /** AWS-compatible endpoint (the local cloud's edge); undefined = real AWS with the ambient credentials. */
  endpoint?: string;
  region: string;
  accountId: string;
  /** Set into process.env once at start, before handlers are loaded. */
  env?: Record<string, string>;
  visibilityTimeoutSeconds?: number;
  pollWaitSeconds?: number;
  invocationLog: InvocationLog;
  log?: (line: string) => void;
  /** One log line per invocation (default true). */
  logInvocations?: boolean;
  repoRoot?: string;
  /** How to reach the queues; default: the SDK against `endpoint` (or AWS). */
  queues?: QueueTransport;
  /**
   * The credentials of the account the functions run in, against `endpoint` (default: the test key, the
   * local cloud's default account); a function's role credentials (`ownEnv`) take precedence in it.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface FunctionRuntime {
  status(): FunctionStatus[];
  stop(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The process environment handlers see: endpoint, region and test credentials, then `env`. */
export function handlerEnvironment(
  opts: Pick<FunctionRuntimeOptions, 'endpoint' | 'region' | 'env' | 'credentials'>,
): Record<string, string> {
  const credentials = opts.credentials ?? LOCAL_CREDENTIALS;
  return {
    AWS_REGION: opts.region,
    AWS_DEFAULT_REGION: opts.region,
    ...(opts.endpoint
      ? {
          AWS_ENDPOINT_URL: opts.endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        }
      : {}),
    ...(opts.env ?? {}),
  };
}

/**
 * Runs each function like Lambda's SQS event source mapping: long-polls its queue, invokes its handler
 * with batches, deletes what succeeded. A function whose handler cannot be loaded is skipped (and
 * reported by `status()` and the log); the others run.
 */
export function startFunctionRuntime(opts: FunctionRuntimeOptions): FunctionRuntime {
  const logLine = opts.log ?? ((line: string) => console.log(line));
  Object.assign(process.env, handlerEnvironment(opts));
  for (const fn of opts.functions) Object.assign(process.env, fn.env ?? {});
  const totalConcurrency = opts.functions.reduce((n, f) => n + Math.max(1, f.maxConcurrency), 0);
  const agent = opts.queues
    ? undefined
    : new Agent({ keepAlive: true, maxSockets: totalConcurrency * 2 + 16 });
  const sqs = agent
    ? new SQSClient({
        region: opts.region,
        ...(opts.endpoint
          ? { endpoint: opts.endpoint, credentials: opts.credentials ?? LOCAL_CREDENTIALS }
          : {}),
        requestHandler: { httpAgent: agent, requestTimeout: 0 },
      })
    : undefined;
  const queues = opts.queues ?? sdkQueueTransport(sqs as SQSClient);
  const statuses: FunctionStatus[] = [];
  const pollers: FunctionPoller[] = [];
  for (const fn of opts.functions) {
    const base = { name: fn.name, queueName: fn.queueName, handler: fn.handler };
    try {
      const handler = loadHandler(fn.name, fn.handler, opts.repoRoot);
      const poller = new FunctionPoller(fn, handler, {
        queues,
        log: opts.invocationLog,
        region: opts.region,
        accountId: opts.accountId,
        visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds,
        pollWaitSeconds: opts.pollWaitSeconds ?? 20,
        logLine,
        logInvocations: opts.logInvocations ?? true,
      });
      poller.start();
      pollers.push(poller);
      statuses.push({ ...base, state: 'running' });
    } catch (err) {
      if (!(err instanceof HandlerLoadError)) throw err;
      logLine(`[runtime] ${fn.name} not started: ${err.message}`);
      statuses.push({ ...base, state: 'skipped', reason: err.message });
    }
  }
  return {
    status: () => statuses.map((s) => ({ ...s })),
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      sqs?.destroy();
      agent?.destroy();
    },
  };
}
