import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { stateTableDefinition } from '../state/tableDefinition';

/** Starts an in-memory dynalite on a free loopback port with the state table created. For tests. */
export async function startDynalite(tableName = 'rewind-test-state'): Promise<{
  endpoint: string;
  client: DynamoDBClient;
  tableName: string;
  stop: () => Promise<void>;
}> {
  const dynalite = require('dynalite') as (opts: Record<string, number>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await client.send(new CreateTableCommand(stateTableDefinition(tableName)));
  return {
    endpoint,
    client,
    tableName,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
