import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonResponse } from '../http';
import { createLoopbackProxy } from '../proxy';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';

type Dynalite = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

const TARGET = 'DynamoDB_20120810.';

/**
 * DynamoDB served by dynalite (in memory) on an internal loopback port, reached through a keep-alive
 * proxy. dynalite lacks UpdateTimeToLive; the edge records TTL settings itself and answers
 * DescribeTimeToLive from them (items are not expired).
 */
export async function createDynaliteService(): Promise<EmulatedService> {
  const dynalite = createRequire(__filename)('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = createLoopbackProxy((server.address() as AddressInfo).port);
  const ttl = new Map<string, { AttributeName: string; Enabled: boolean }>();

  async function tableExists(req: LocalRequest, tableName: string): Promise<LocalResponse | undefined> {
    const describe = await proxy.forward({
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
    return proxy.forward(req);
  }

  return {
    signingNames: ['dynamodb'],
    handle,
    close: async () => {
      proxy.close();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
