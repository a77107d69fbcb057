import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Jobs of the services that are not runs (snapshot policies, replication): one item per job in the state
 * table, with marks of what is done and a deadline-check chain. A mark is claimed by a conditional write
 * before the action it stands for, so two messages working on the same job (a deadline check and an
 * event) never both act. Index items map another key (a snapshot name, a run id) to a job.
 * Items expire after `ttlSeconds` (default 30 days).
 */
export interface Job {
  pk: string;
  /** The deadline check chain: a check carrying another number is dropped. */
  seq: number;
  marks: Record<string, string>;
}

const SK = 'JOB';
const DEFAULT_TTL_SECONDS = 30 * 86_400;

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export class JobStore<T extends Job> {
  protected readonly doc: DynamoDBDocumentClient;
  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  protected expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.ttlSeconds;
  }

  /** False when the job exists already (a repeated firing or request). */
  async create(job: T, now: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...job, sk: SK, expiresAt: this.expiresAt(now) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async get(pk: string): Promise<T | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: SK }, ConsistentRead: true }),
    );
    return out.Item as T | undefined;
  }

  /** Points `key` (e.g. `SNAP#<name>`) at a job, so an event naming it finds the job. */
  async index(key: string, job: Pick<T, 'pk'>, now: Date): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: key, sk: SK, job: job.pk, expiresAt: this.expiresAt(now) },
      }),
    );
  }

  /** The job an index key points at. */
  async byIndex(key: string): Promise<T | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: key, sk: SK } }));
    const pk = (out.Item as { job?: string } | undefined)?.job;
    return pk ? this.get(pk) : undefined;
  }

  /** Sets fields of the job (not pk, seq or marks: those have their own conditional writes). */
  async set(job: T, fields: Partial<Omit<T, 'pk' | 'seq' | 'marks'>>): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: job.pk, sk: SK },
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      }),
    );
    Object.assign(job, Object.fromEntries(entries));
  }

  /** Claims a mark; false when another message claimed it first. */
  async mark(job: T, mark: string, at: string): Promise<boolean> {
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

  /**
   * Runs `action` once per job: the mark is claimed first (false when it is claimed already), and given
   * back if the action throws, so the next look tries again.
   */
  async once(job: T, mark: string, at: string, action: () => Promise<void>): Promise<boolean> {
    if (job.marks[mark]) return false;
    if (!(await this.mark(job, mark, at))) return false;
    try {
      await action();
      return true;
    } catch (err) {
      await this.unmark(job, mark);
      throw err;
    }
  }

  /** Gives a mark back (its action failed before it took effect: it is tried again). */
  async unmark(job: T, mark: string): Promise<void> {
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
  async nextCheck(job: T, seq: number): Promise<boolean> {
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

  async undoCheck(job: T, seq: number): Promise<void> {
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
