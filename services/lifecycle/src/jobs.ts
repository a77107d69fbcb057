import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Kind, SnapshotPolicy } from '@rewind/shared';

/**
 * One job per firing and database: what the firing asked (the policy, as fired), and marks of what is done.
 * A mark is claimed by a conditional write before the action it stands for, so two messages working on
 * the same job (a deadline check and an RDS event) never both publish an event or both start a copy.
 * Items live in the state table and expire after 30 days.
 */
export interface PolicyJob {
  pk: string;
  policy: SnapshotPolicy;
  identifier: string;
  kind: Kind;
  scheduledTime: string;
  action: 'snapshot' | 'prune';
  snapshotName: string;
  createdAt: string;
  /** The deadline check chain: a check carrying another number is dropped. */
  seq: number;
  marks: Record<string, string>;
}

const TTL_SECONDS = 30 * 86_400;
const SK = 'JOB';

export const jobKey = (
  policy: string,
  kind: Kind,
  identifier: string,
  scheduledTime: string,
  action: string,
) => `POLICYJOB#${policy}#${kind}#${identifier}#${scheduledTime}#${action}`;
const snapshotKey = (name: string) => `POLICYSNAP#${name}`;

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export class PolicyJobStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** False when the job exists already (a repeated firing). */
  async create(job: PolicyJob, now: Date): Promise<boolean> {
    const expiresAt = Math.floor(now.getTime() / 1000) + TTL_SECONDS;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...job, sk: SK, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
    if (job.action === 'snapshot') {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: snapshotKey(job.snapshotName), sk: SK, job: job.pk, expiresAt },
        }),
      );
    }
    return true;
  }

  async get(pk: string): Promise<PolicyJob | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: SK }, ConsistentRead: true }),
    );
    return out.Item as PolicyJob | undefined;
  }

  /** The job that made a snapshot of this name (RDS events name the snapshot). */
  async bySnapshot(name: string): Promise<PolicyJob | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: snapshotKey(name), sk: SK } }),
    );
    const pk = (out.Item as { job?: string } | undefined)?.job;
    return pk ? this.get(pk) : undefined;
  }

  /** Claims a mark; false when another message claimed it first. */
  async mark(job: PolicyJob, mark: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: job.pk, sk: SK },
          UpdateExpression: 'SET marks.#m = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(marks.#m)',
          ExpressionAttributeNames: { '#m': mark },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      job.marks[mark] = at;
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Gives a mark back (its action failed before it took effect: it is tried again). */
  async unmark(job: PolicyJob, mark: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: job.pk, sk: SK },
        UpdateExpression: 'REMOVE marks.#m',
        ExpressionAttributeNames: { '#m': mark },
      }),
    );
    delete job.marks[mark];
  }

  /** Moves the check chain on from `seq`; false when another message moved it first. */
  async nextCheck(job: PolicyJob, seq: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: job.pk, sk: SK },
          UpdateExpression: 'SET seq = :n',
          ConditionExpression: 'seq = :o',
          ExpressionAttributeValues: { ':n': seq + 1, ':o': seq },
        }),
      );
      job.seq = seq + 1;
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async undoCheck(job: PolicyJob, seq: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: job.pk, sk: SK },
        UpdateExpression: 'SET seq = :o',
        ConditionExpression: 'seq = :n',
        ExpressionAttributeValues: { ':n': seq + 1, ':o': seq },
      }),
    );
    job.seq = seq;
  }
}
