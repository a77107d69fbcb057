import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { stateTableDefinition, TTL_ATTRIBUTE } from '@rewind/shared/src/state/tableDefinition';

/** The state table: `pk`/`sk`, GSI `by-status` (`gsi1pk`/`gsi1sk`), TTL on `expiresAt`. */
export async function ensureStateTable(
  dynamodb: DynamoDBClient,
  names: ResourceNames,
): Promise<{ name: string; arn: string }> {
  try {
    await dynamodb.send(new CreateTableCommand(stateTableDefinition(names.tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // Real DynamoDB takes a while to make the table ACTIVE; TTL can only be set then.
  for (let i = 0; ; i++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: names.tableName }));
    if (Table?.TableStatus === 'ACTIVE') {
      try {
        await dynamodb.send(
          new UpdateTimeToLiveCommand({
            TableName: names.tableName,
            TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
          }),
        );
      } catch (err) {
        // Real DynamoDB rejects enabling TTL twice: "TimeToLive is already enabled".
        if (!/already enabled/i.test((err as Error).message)) throw err;
      }
      return { name: names.tableName, arn: Table.TableArn ?? '' };
    }
    if (i > 120) throw new Error(`Table ${names.tableName} is still ${Table?.TableStatus} after 2 minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
