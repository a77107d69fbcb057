import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { jsonResponse } from '../http';
import { dynamoState } from './dynamoState';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';

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

/**
 * DynamoDB served by dynalite (in memory), called in process. dynalite lacks UpdateTimeToLive; the edge
 * records TTL settings itself and answers DescribeTimeToLive from them (items are not expired).
 */
export async function createDynaliteService(): Promise<EmulatedService> {
  const dynalite = createRequire(__filename)('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const forward = inProcess(server);
  const ttl = new Map<string, { AttributeName: string; Enabled: boolean }>();

  async function tableExists(req: LocalRequest, tableName: string): Promise<LocalResponse | undefined> {
    const describe = await forward({
      ...req,
      headers: { ...req.headers, 'x-amz-target': `${TARGET}DescribeTable` },
      body: Buffer.from(JSON.stringify({ TableName: tableName })),
    });
    return describe.status === 200 ? undefined : describe;
  }

  async function handle(req: LocalRequest): Promise<LocalResponse> {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target === `${TARGET}UpdateTimeToLive` || target === `${TARGET}DescribeTimeToLive`) {
      const input = JSON.parse(req.body.toString('utf8')) as {
        TableName: string;
        TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
      };
      const missing = await tableExists(req, input.TableName);
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
        ttl.set(input.TableName, { AttributeName: spec.AttributeName, Enabled: spec.Enabled });
        return jsonResponse(200, { TimeToLiveSpecification: spec }, headers);
      }
      const spec = ttl.get(input.TableName);
      const description = spec?.Enabled
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: spec.AttributeName }
        : { TimeToLiveStatus: 'DISABLED' };
      return jsonResponse(200, { TimeToLiveDescription: description }, headers);
    }
    return forward(req);
  }

  return {
    signingNames: ['dynamodb'],
    handle,
    persistence: dynamoState(forward, ttl),
    close: async () => {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
