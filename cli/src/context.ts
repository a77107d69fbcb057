import { request } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resourceNames, StateStore, type ResourceNames } from '@rewind/shared';
import { CliError } from './errors';
import type { TargetOptions } from './options';

const LOCAL_ENDPOINT = 'http://127.0.0.1:4566';
const LOCAL_PREFIX = 'rewind-local';
const START_LOCAL = 'start the local cloud with: npx rewind local up (or run the demo: npm run demo)';

/** Where the commands go: an endpoint (the local cloud or another AWS-compatible one) or AWS itself. */
export interface Target {
  /** undefined = AWS. */
  endpoint?: string;
  /** The endpoint answers the local cloud's `GET /_rewind/health`. */
  local: boolean;
  region: string;
  profile?: string;
  names: ResourceNames;
  /** For messages: "the local cloud at http://...", "http://...", "AWS (us-east-1, profile x)". */
  description: string;
}

export interface Clients {
  target: Target;
  rds: RDSClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  store: StateStore;
  close(): void;
}

type Probe = { answered: true; local: boolean } | { answered: false; error: string };

/**
 * Does `endpoint` answer, and is it Rewind's local cloud? (node:http rather than fetch: fetch refuses
 * some ports outright.)
 */
function probeEndpoint(endpoint: string, timeoutMs = 1500): Promise<Probe> {
  return new Promise((resolve) => {
    const req = request(
      new URL('/_rewind/health', endpoint),
      { method: 'GET', agent: false, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', () => resolve({ answered: true, local: false }));
        res.on('end', () => {
          let status: unknown;
          try {
            status = (JSON.parse(text) as { status?: unknown }).status;
          } catch {
            status = undefined;
          }
          resolve({ answered: true, local: res.statusCode === 200 && status !== undefined });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out'), { code: `no answer within ${timeoutMs} ms` })),
    );
    req.on('error', (err: Error & { code?: string }) =>
      resolve({ answered: false, error: err.code ?? err.message }),
    );
    req.end();
  });
}

/** The prefix on an endpoint: `--prefix`, else `rewind-<stage>` with `--stage`, else what `local up` provisions. */
function endpointPrefix(options: TargetOptions): string {
  return options.prefix ?? (options.stage ? `rewind-${options.stage}` : LOCAL_PREFIX);
}

/**
 * Picks the target: `--endpoint`, else `AWS_ENDPOINT_URL` (what `rewind local up` tells you to export, and
 * what the AWS SDK itself would use), else the local cloud if it answers (unless --profile, --region or
 * --stage), else AWS. On an endpoint the prefix defaults to rewind-local (what `local up` provisions, there or on another
 * endpoint with `local up --endpoint`); on AWS to rewind-<stage>.
 */
export async function resolveTarget(
  options: TargetOptions,
  env: Record<string, string | undefined> = process.env,
): Promise<Target> {
  const fromEnv = options.endpoint === undefined && env.AWS_ENDPOINT_URL ? env.AWS_ENDPOINT_URL : undefined;
  if (fromEnv && options.profile) {
    throw new CliError(
      `AWS_ENDPOINT_URL is set (${fromEnv}) and --profile ${options.profile} asks for AWS: which one is meant?`,
      'to use AWS, unset AWS_ENDPOINT_URL (unset AWS_ENDPOINT_URL); to use the endpoint, drop --profile',
      2,
    );
  }
  const endpointText = options.endpoint ?? fromEnv;
  if (endpointText) {
    const source = options.endpoint !== undefined ? '--endpoint' : 'AWS_ENDPOINT_URL';
    let url: URL;
    try {
      url = new URL(endpointText);
    } catch {
      throw new CliError(
        `${source} "${endpointText}" is not a URL`,
        `pass e.g. ${source === '--endpoint' ? '--endpoint ' : 'AWS_ENDPOINT_URL='}http://127.0.0.1:4566`,
        2,
      );
    }
    const endpoint = url.origin;
    const probe = await probeEndpoint(endpoint);
    if (!probe.answered) {
      throw new CliError(
        `cannot reach ${endpoint} (${probe.error}${source === 'AWS_ENDPOINT_URL' ? '; from AWS_ENDPOINT_URL' : ''})`,
        `${START_LOCAL}, or pass the right --endpoint${source === 'AWS_ENDPOINT_URL' ? ' (or unset AWS_ENDPOINT_URL to use AWS)' : ''}`,
      );
    }
    const via = source === 'AWS_ENDPOINT_URL' ? ' (from AWS_ENDPOINT_URL)' : '';
    return {
      endpoint,
      local: probe.local,
      region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      profile: options.profile,
      names: resourceNames(endpointPrefix(options)),
      description: `${probe.local ? `the local cloud at ${endpoint}` : endpoint}${via}`,
    };
  }
  // --profile, --region and --stage name AWS (a deployed stage): the local cloud is not tried then.
  if (!options.profile && !options.region && !options.stage) {
    const probe = await probeEndpoint(LOCAL_ENDPOINT, 500);
    if (probe.answered && probe.local) {
      return {
        endpoint: LOCAL_ENDPOINT,
        local: true,
        region: 'us-east-1',
        names: resourceNames(endpointPrefix(options)),
        description: `the local cloud at ${LOCAL_ENDPOINT}`,
      };
    }
  }
  const region =
    options.region ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION ??
    (options.profile || options.stage || env.AWS_PROFILE ? await profileRegion(options.profile) : undefined);
  if (!region) {
    const asked = options.profile
      ? `--profile ${options.profile}`
      : options.stage
        ? `--stage ${options.stage}`
        : '';
    throw asked
      ? new CliError(
          `${asked} asks for AWS, but no AWS region is set`,
          'pass --region NAME, set AWS_REGION, or give the profile a region in ~/.aws/config',
        )
      : new CliError(
          `no local cloud answers at ${LOCAL_ENDPOINT}, and no AWS region is set`,
          `${START_LOCAL}; or use AWS with --region (and --profile, --stage), or AWS_REGION`,
        );
  }
  const stage = options.stage ?? 'dev';
  return {
    local: false,
    region,
    profile: options.profile,
    names: resourceNames(options.prefix ?? `rewind-${stage}`),
    description: `AWS (${region}${options.profile ? `, profile ${options.profile}` : ''}, ${options.prefix ? `prefix ${options.prefix}` : `stage ${stage}`})`,
  };
}

/** The region the AWS config file gives the profile (--profile, else AWS_PROFILE, else default), as the SDK reads it. */
async function profileRegion(profile: string | undefined): Promise<string | undefined> {
  const client = new RDSClient(profile ? { profile } : {});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

/**
 * SDK clients for the target. Endpoints other than AWS get test credentials unless some are configured;
 * on the local cloud, `account` picks one of its accounts (its access key is the account id).
 */
export function createClients(target: Target, account?: string): Clients {
  const useTestCredentials =
    target.endpoint !== undefined && (target.local || (!target.profile && !process.env.AWS_ACCESS_KEY_ID));
  const accessKeyId = target.local && account ? account : 'test';
  const config = {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.profile ? { profile: target.profile } : {}),
    ...(useTestCredentials ? { credentials: { accessKeyId, secretAccessKey: 'test' } } : {}),
  };
  const rds = new RDSClient({ ...config, maxAttempts: 8 });
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  const dynamo = new DynamoDBClient(config);
  return {
    target,
    rds,
    events,
    sqs,
    dynamo,
    store: new StateStore(dynamo, target.names.tableName),
    close() {
      for (const c of [rds, events, sqs, dynamo]) c.destroy();
    },
  };
}

/** Resolves the target, runs `fn` with clients, closes them. */
export async function withClients<T>(
  options: TargetOptions,
  fn: (clients: Clients) => Promise<T>,
  /** On the local cloud: the account to act as (a replication's source, say). */
  account?: string,
): Promise<T> {
  const clients = createClients(await resolveTarget(options), account);
  try {
    return await fn(clients);
  } catch (err) {
    throw explainAwsError(err, clients.target);
  } finally {
    clients.close();
  }
}

/** Turns a missing table/bus/queue or an unreachable endpoint into what to do about it. */
export function explainAwsError(err: unknown, target: Target): unknown {
  if (err instanceof CliError) return err;
  const name = (err as { name?: string }).name ?? '';
  const message = (err as Error).message ?? String(err);
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist' || /NonExistentQueue/.test(name)) {
    return new CliError(
      `${message} (on ${target.description}, prefix ${target.names.prefix})`,
      target.local
        ? 'is the local cloud provisioned with this prefix? (rewind local up --prefix NAME)'
        : target.endpoint
          ? 'is Rewind provisioned there with this prefix? (rewind local up --endpoint URL provisions rewind-local; else pass --prefix or --stage)'
          : 'is Rewind deployed there? check --stage / --prefix, --region and --profile',
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|connect/i.test(message) || (err as { code?: string }).code === 'ECONNREFUSED') {
    return new CliError(`cannot reach ${target.description}: ${message}`, START_LOCAL);
  }
  if (/credential/i.test(message) || name === 'CredentialsProviderError') {
    return new CliError(`no AWS credentials: ${message}`, 'pass --profile NAME, or export AWS credentials');
  }
  return err;
}
