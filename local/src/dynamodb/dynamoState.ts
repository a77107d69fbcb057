import type { LocalRequest, LocalResponse } from '../types';

type Forward = (req: LocalRequest) => Promise<LocalResponse>;
type Json = Record<string, unknown>;

interface TableDump {
  /** CreateTable input rebuilt from DescribeTable. */
  definition: Json;
  items: Json[];
  timeToLive?: { AttributeName: string; Enabled: boolean };
}

const BATCH = 25;

/** A DynamoDB JSON call handed to dynalite in process (it wants a SigV4-shaped header, not a valid one). */
function caller(forward: Forward) {
  return async (op: string, input: Json): Promise<Json> => {
    const res = await forward({
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${op}`,
        'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
        authorization:
          'AWS4-HMAC-SHA256 Credential=state/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: Buffer.from(JSON.stringify(input)),
    });
    const text = res.body.toString();
    const out = (text ? JSON.parse(text) : {}) as Json;
    if (res.status !== 200)
      throw new Error(`DynamoDB ${op} failed (${res.status}): ${String(out.message ?? out.__type)}`);
    return out;
  };
}

/** CreateTable input from a DescribeTable `Table`: keys, indexes, billing, streams. */
function definitionOf(t: Json): Json {
  const throughput = (p: Json | undefined) =>
    p && Number(p.ReadCapacityUnits) > 0
      ? { ReadCapacityUnits: p.ReadCapacityUnits, WriteCapacityUnits: p.WriteCapacityUnits }
      : undefined;
  const billing = (t.BillingModeSummary as Json | undefined)?.BillingMode ?? 'PROVISIONED';
  const index = (i: Json) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection,
    ...(billing === 'PROVISIONED' && i.ProvisionedThroughput
      ? { ProvisionedThroughput: throughput(i.ProvisionedThroughput as Json) }
      : {}),
  });
  const gsis = (t.GlobalSecondaryIndexes as Json[] | undefined)?.map(index);
  const lsis = (t.LocalSecondaryIndexes as Json[] | undefined)?.map((i) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection,
  }));
  return {
    TableName: t.TableName,
    AttributeDefinitions: t.AttributeDefinitions,
    KeySchema: t.KeySchema,
    BillingMode: billing,
    ...(billing === 'PROVISIONED'
      ? { ProvisionedThroughput: throughput(t.ProvisionedThroughput as Json) }
      : {}),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis } : {}),
    ...(t.StreamSpecification ? { StreamSpecification: t.StreamSpecification } : {}),
  };
}

export interface DynamoDump {
  tables: TableDump[];
}

/**
 * Every table of one dynalite (definition, indexes, TTL setting) and every item, read and written
 * through dynalite's own API (Scan / BatchWriteItem): no native LevelDB build needed.
 */
export function dynamoTables(
  forward: Forward,
  ttl: Map<string, { AttributeName: string; Enabled: boolean }>,
): { dump(): Promise<DynamoDump>; load(state: DynamoDump): Promise<void> } {
  const call = caller(forward);
  return {
    async dump() {
      const names: string[] = [];
      let start: unknown;
      do {
        const page = await call('ListTables', start ? { ExclusiveStartTableName: start } : {});
        names.push(...(page.TableNames as string[]));
        start = page.LastEvaluatedTableName;
      } while (start);
      const tables: TableDump[] = [];
      for (const name of names) {
        const { Table } = (await call('DescribeTable', { TableName: name })) as { Table: Json };
        const items: Json[] = [];
        let key: unknown;
        do {
          const page = await call('Scan', { TableName: name, ...(key ? { ExclusiveStartKey: key } : {}) });
          items.push(...(page.Items as Json[]));
          key = page.LastEvaluatedKey;
        } while (key);
        tables.push({ definition: definitionOf(Table), items, timeToLive: ttl.get(name) });
      }
      return { tables };
    },
    async load(state) {
      for (const t of state.tables) {
        await call('CreateTable', t.definition);
        const TableName = t.definition.TableName as string;
        while (((await call('DescribeTable', { TableName })).Table as Json).TableStatus !== 'ACTIVE') {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        if (t.timeToLive) ttl.set(TableName, t.timeToLive);
        for (let i = 0; i < t.items.length; i += BATCH) {
          let requests: Json = {
            [TableName]: t.items.slice(i, i + BATCH).map((Item) => ({ PutRequest: { Item } })),
          };
          while (Object.keys(requests).length > 0) {
            const out = await call('BatchWriteItem', { RequestItems: requests });
            requests = (out.UnprocessedItems as Json | undefined) ?? {};
          }
        }
      }
    },
  };
}
