import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import type { AddressKind } from '../contracts/address';
import { LockHeldError, StaleWriteError } from '../errors';
import { keys } from './keys';
import type { LockRecord, LogEntry, ResourceIndexRecord, ResourceKind, RunRecord, RunStatus } from './types';

export const STATUS_INDEX = 'by-status';

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as T;
}

/**
 * A run as stored: the routing slip (`run`) is the one copy of identifier, kind, task and strategy; the
 * record's own fields of those names are left out of the item and rebuilt from it on read.
 */
function runItem(run: RunRecord): Record<string, unknown> {
  const { identifier: _i, kind: _k, task: _t, strategy: _s, ...rest } = run;
  return {
    ...keys.run(run.runId),
    ...keys.statusIndex(run.status, run.createdAt, run.runId),
    ...rest,
  };
}

function runOf(item: Record<string, unknown> | undefined): RunRecord | undefined {
  const stored = strip<Omit<RunRecord, 'identifier' | 'kind' | 'task' | 'strategy'>>(item);
  if (!stored) return undefined;
  const { identifier, kind, task, strategy } = stored.run;
  return { ...stored, identifier, kind, task, strategy };
}

/**
 * The run state store (one DynamoDB table). Every write that advances a run is conditional on the
 * version it read; a lost race raises StaleWriteError, a held lock LockHeldError.
 */
export class StateStore {
  private readonly doc: DynamoDBDocumentClient;
  private logCounter = 0;

  constructor(
    client: DynamoDBClient | DynamoDBDocumentClient,
    readonly tableName: string,
  ) {
    this.doc =
      client instanceof DynamoDBDocumentClient
        ? client
        : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  // ---- runs ----

  /** Writes a new run (version 1). Fails with StaleWriteError if the id exists. */
  async createRun(record: Omit<RunRecord, 'version'>): Promise<RunRecord> {
    const run: RunRecord = { ...record, version: 1 };
    const key = keys.run(run.runId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: runItem(run),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new StaleWriteError(key.pk, 'absent', { cause: err });
      throw err;
    }
    return run;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.run(runId), ConsistentRead: true }),
    );
    return runOf(out.Item);
  }

  /**
   * Advances a run: writes `next` (computed from the run as read) only if nobody changed it since.
   * Returns the stored record with its new version.
   */
  async updateRun(
    current: RunRecord,
    changes: Partial<Omit<RunRecord, 'runId' | 'version'>>,
  ): Promise<RunRecord> {
    const next: RunRecord = {
      ...current,
      ...changes,
      version: current.version + 1,
      updatedAt: changes.updatedAt ?? new Date().toISOString(),
    };
    const key = keys.run(current.runId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: runItem(next),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': current.version },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new StaleWriteError(key.pk, current.version, { cause: err });
      throw err;
    }
    return next;
  }

  /**
   * Sets the outbox of the version that filled it to `keep` (the entries still to be published;
   * removed when none), without bumping the version: the published events are gone, and a concurrent
   * writer that read the same version must not lose its race because of it.
   */
  async setOutbox(runId: string, version: number, keep: RunRecord['outbox'] = []): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.run(runId),
          ...(keep && keep.length > 0
            ? {
                UpdateExpression: 'SET outbox = :keep',
                ExpressionAttributeValues: { ':v': version, ':keep': keep },
              }
            : { UpdateExpression: 'REMOVE outbox', ExpressionAttributeValues: { ':v': version } }),
          ConditionExpression: 'version = :v',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Runs with a status, newest first (GSI by status and creation time). */
  async listRuns(
    status: RunStatus,
    options: { limit?: number; since?: string; cursor?: Record<string, unknown> } = {},
  ): Promise<{ runs: RunRecord[]; cursor?: Record<string, unknown> }> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: STATUS_INDEX,
      KeyConditionExpression: options.since ? 'gsi1pk = :s AND gsi1sk >= :since' : 'gsi1pk = :s',
      ExpressionAttributeValues: {
        ':s': `STATUS#${status}`,
        ...(options.since ? { ':since': options.since } : {}),
      },
      ScanIndexForward: false,
      Limit: options.limit ?? 50,
      ExclusiveStartKey: options.cursor,
    };
    const out = await this.doc.send(new QueryCommand(input));
    return {
      runs: (out.Items ?? []).map((i) => runOf(i)!),
      cursor: out.LastEvaluatedKey,
    };
  }

  // ---- step log ----

  async appendLog(entry: LogEntry): Promise<void> {
    // Entries of one millisecond keep their write order within a process; the random part keeps writers apart.
    const seq = `${String(this.logCounter++ % 1_000_000).padStart(6, '0')}${randomBytes(2).toString('hex')}`;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.log(entry.runId, entry.at, seq), ...entry },
      }),
    );
  }

  /** The run's timeline, oldest first. */
  async getTimeline(runId: string): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
          ExpressionAttributeValues: { ':pk': keys.run(runId).pk, ':log': keys.logPrefix },
          ExclusiveStartKey: cursor,
          ConsistentRead: true,
        }),
      );
      for (const item of out.Items ?? []) entries.push(strip<LogEntry>(item)!);
      cursor = out.LastEvaluatedKey;
    } while (cursor);
    return entries;
  }

  // ---- locks ----

  /** One active run per database: a conditional put. Re-acquiring one's own lock is a no-op. */
  /** `scope`: `addressScope` of the database's address ('' at home). */
  async acquireLock(
    kind: AddressKind,
    identifier: string,
    runId: string,
    now = new Date(),
    scope = '',
  ): Promise<void> {
    const key = keys.lock(kind, identifier, scope);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, kind, identifier, runId, acquiredAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk) OR runId = :r',
          ExpressionAttributeValues: { ':r': runId },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const holder = await this.getLock(kind, identifier, scope);
      throw new LockHeldError(key.pk, holder?.runId, { cause: err });
    }
  }

  async getLock(kind: AddressKind, identifier: string, scope = ''): Promise<LockRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.lock(kind, identifier, scope),
        ConsistentRead: true,
      }),
    );
    return strip<LockRecord>(out.Item);
  }

  /** Releases the lock if this run holds it; returns whether it did. */
  async releaseLock(kind: AddressKind, identifier: string, runId: string, scope = ''): Promise<boolean> {
    return this.deleteIfHeldBy(keys.lock(kind, identifier, scope), runId);
  }

  // ---- resource index ----

  /** Records that `runId` waits on this resource (expires after `ttlSeconds`). */
  async indexResource(record: Omit<ResourceIndexRecord, 'expiresAt'>, ttlSeconds: number, now = new Date()) {
    const expiresAt = Math.floor(now.getTime() / 1000) + ttlSeconds;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.resource(record.kind, record.name, record.scope), ...record, expiresAt },
      }),
    );
  }

  async lookupResource(
    kind: ResourceKind,
    name: string,
    now = new Date(),
    scope = '',
  ): Promise<ResourceIndexRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.resource(kind, name, scope),
        ConsistentRead: true,
      }),
    );
    const record = strip<ResourceIndexRecord>(out.Item);
    // TTL deletion is lazy in DynamoDB: treat expired items as absent.
    if (record && record.expiresAt * 1000 < now.getTime()) return undefined;
    return record;
  }

  async unindexResource(kind: ResourceKind, name: string, runId: string, scope = ''): Promise<void> {
    await this.deleteIfHeldBy(keys.resource(kind, name, scope), runId);
  }

  // ---- notification deliveries ----

  /** Channels a notification (keyed by the event id) was already delivered to. */
  async deliveredChannels(notificationId: string): Promise<string[]> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.notification(notificationId),
        ConsistentRead: true,
      }),
    );
    return [...((out.Item?.channels as Set<string> | undefined) ?? [])];
  }

  async recordDelivery(notificationId: string, channel: string, ttlSeconds = 30 * 86_400): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.notification(notificationId),
        UpdateExpression: 'ADD channels :c SET expiresAt = :t',
        ExpressionAttributeValues: {
          ':c': new Set([channel]),
          ':t': Math.floor(Date.now() / 1000) + ttlSeconds,
        },
      }),
    );
  }

  // ---- idempotent requests ----

  /** Claims a requestId for a run. Returns the run id that owns it (this one, or an earlier one). */
  async claimRequestId(requestId: string, runId: string, now = new Date()): Promise<string> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.request(requestId), requestId, runId, claimedAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return runId;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: keys.request(requestId), ConsistentRead: true }),
      );
      return String(out.Item?.runId);
    }
  }

  /** Points a key at another run (the run that answers a repeated request), whoever held it. */
  async pointKey(key: string, runId: string, now = new Date()): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.request(key), requestId: key, runId, claimedAt: now.toISOString() },
      }),
    );
  }

  /** Releases a key held by `runId` (a rejected request does not consume its requestId); false if another run holds it. */
  async releaseKey(key: string, runId: string): Promise<boolean> {
    return this.deleteIfHeldBy(keys.request(key), runId);
  }

  /** The run id that claimed a key with `claimRequestId`, or undefined while nobody has. */
  async claimedRunId(key: string): Promise<string | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.request(key), ConsistentRead: true }),
    );
    return typeof out.Item?.runId === 'string' ? out.Item.runId : undefined;
  }

  /** Deletes an item only while `runId` holds it; false when another run (or nobody) does. */
  private async deleteIfHeldBy(key: { pk: string; sk: string }, runId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: 'runId = :r',
          ExpressionAttributeValues: { ':r': runId },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
