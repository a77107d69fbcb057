import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { jsonResponse } from '../http';
import { partitionKey, Partitions, resolveCaller, type IdentityOptions } from '../edge/identity';
import { partitionedState } from '../persistence/partitioned';
import type { EmulatedService, LocalIdentity, LocalRequest, LocalResponse } from '../types';
import { dynamoTables, type DynamoDump } from './dynamoState';

type Dynalite = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

const TARGET = 'DynamoDB_20120810.';

/**
 * Hands a request to dynalite's own request handler in process: the edge already parsed the HTTP
 * request, and a second loopback hop cost more CPU than the DynamoDB operation itself. The handler
 * reads the body from `data`/`end` events and answers with `setHeader` and `end`, which is all this
 * provides. (dynalite still listens on a loopback port, unused, so its close and restart work as designed.)
 */
function inProcess(server: Server): (req: LocalRequest) => Promise<LocalResponse> {
  const listener = server.listeners('request')[0] as (req: unknown, res: unknown) => void;
  return (req) =>
    new Promise((resolve, reject) => {
      const incoming = Object.assign(new EventEmitter(), {
        method: req.method,
        url: req.query.size > 0 ? `${req.path}?${req.query.toString()}` : req.path,
        headers: req.headers,
      });
      const headers: Record<string, string> = {};
      const res = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(name: string, value: unknown) {
          headers[name.toLowerCase()] = String(value);
        },
        end(body?: string | Buffer) {
          resolve({ status: res.statusCode, headers, body: body ?? '' });
        },
      };
      try {
        listener(incoming, res);
      } catch (err) {
        reject(err as Error);
        return;
      }
      if (req.body.length > 0) incoming.emit('data', req.body);
      incoming.emit('end');
    });
}

/** One account's DynamoDB in one region: its own dynalite and TTL settings. */
interface DynamoPartition {
  forward: (req: LocalRequest) => Promise<LocalResponse>;
  ttl: Map<string, { AttributeName: string; Enabled: boolean }>;
  close(): Promise<void>;
}

async function startPartition(): Promise<DynamoPartition> {
  const dynalite = createRequire(__filename)('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    forward: inProcess(server),
    ttl: new Map(),
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** The account and region dynalite writes into every ARN it returns. */
const DYNALITE_IDENTITY: LocalIdentity = { accountId: '000000000000', region: 'us-east-1' };

/** dynalite names every ARN after the process's default account and region; another partition's tables get theirs. */
function withOwnArns(res: LocalResponse, where: LocalIdentity): LocalResponse {
  if (typeof res.body !== 'string' && !Buffer.isBuffer(res.body)) return res;
  const text = res.body.toString();
  if (!text.includes('arn:aws:dynamodb:')) return res;
  return {
    ...res,
    body: text.replace(
      /arn:aws:dynamodb:[^:"]*:[^:"]*:/g,
      `arn:aws:dynamodb:${where.region}:${where.accountId}:`,
    ),
  };
}

/**
 * DynamoDB served by dynalite (in memory), called in process, one dynalite per account and region
 * (the caller's access key and SigV4 scope choose it; the default one starts with the local cloud,
 * others on first use). dynalite lacks UpdateTimeToLive; the edge records TTL settings itself and
 * answers DescribeTimeToLive from them (items are not expired).
 */
export async function createDynaliteService(callers: IdentityOptions): Promise<EmulatedService> {
  const partitions = new Partitions<Promise<DynamoPartition>>(() => startPartition());
  await partitions.get(callers.identity);

  async function tableExists(
    part: DynamoPartition,
    req: LocalRequest,
    tableName: string,
  ): Promise<LocalResponse | undefined> {
    const describe = await part.forward({
      ...req,
      headers: { ...req.headers, 'x-amz-target': `${TARGET}DescribeTable` },
      body: Buffer.from(JSON.stringify({ TableName: tableName })),
    });
    return describe.status === 200 ? undefined : describe;
  }

  async function timeToLive(
    part: DynamoPartition,
    req: LocalRequest,
    target: string,
  ): Promise<LocalResponse> {
    const input = JSON.parse(req.body.toString('utf8')) as {
      TableName: string;
      TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    };
    const missing = await tableExists(part, req, input.TableName);
    if (missing) return missing;
    const headers = { 'content-type': 'application/x-amz-json-1.0' };
    if (target.endsWith('UpdateTimeToLive')) {
      const spec = input.TimeToLiveSpecification;
      if (!spec?.AttributeName) {
        return jsonResponse(
          400,
          {
            __type: 'com.amazon.coral.validate#ValidationException',
            message: 'TimeToLiveSpecification is required',
          },
          headers,
        );
      }
      part.ttl.set(input.TableName, { AttributeName: spec.AttributeName, Enabled: spec.Enabled });
      return jsonResponse(200, { TimeToLiveSpecification: spec }, headers);
    }
    const spec = part.ttl.get(input.TableName);
    const description = spec?.Enabled
      ? { TimeToLiveStatus: 'ENABLED', AttributeName: spec.AttributeName }
      : { TimeToLiveStatus: 'DISABLED' };
    return jsonResponse(200, { TimeToLiveDescription: description }, headers);
  }

  async function handle(req: LocalRequest): Promise<LocalResponse> {
    const where = resolveCaller(req, callers);
    const part = await partitions.get(where);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target === `${TARGET}UpdateTimeToLive` || target === `${TARGET}DescribeTimeToLive`) {
      return timeToLive(part, req, target);
    }
    const res = await part.forward(req);
    // dynalite's own ARNs are right only for the account and region it names (whatever the default is).
    return partitionKey(where) === partitionKey(DYNALITE_IDENTITY) ? res : withOwnArns(res, where);
  }

  return {
    signingNames: ['dynamodb'],
    handle,
    persistence: partitionedState<Promise<DynamoPartition>, DynamoDump>('dynamodb', partitions, {
      dump: (part) => dynamoTables(part.forward, part.ttl).dump(),
      load: (part, state) => dynamoTables(part.forward, part.ttl).load(state),
    }),
    close: async () => {
      for (const part of partitions.all()) await (await part).close();
    },
  };
}
