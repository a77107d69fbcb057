import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { randomBytes } from 'node:crypto';
import {
  idempotencyKey,
  parseEvent,
  type EventInput,
  type EventName,
  type Kind,
  type RunRecord,
} from '@rewind/shared';
import type { Clients } from './context';
import { CliError, UsageError } from './errors';

export const CLI_SOURCE = 'rewind.cli';

/** The key an accepted request with a requestId holds, per database (services/restore/src/intake.ts). */
export const requestKey = (kind: Kind, identifier: string, requestId: string) =>
  idempotencyKey.request(kind, identifier, requestId);

export const newRequestId = () =>
  `cli-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Validates a RestoreRequested locally (a usage error says what is wrong), publishes it as `rewind.cli`
 * and returns the event id EventBridge gave it: intake maps that id to the run that answers it.
 */
export async function publishRequest(
  clients: Clients,
  request: EventInput<'RestoreRequested'>,
  usage: string,
): Promise<string> {
  const parsed = parseEvent('RestoreRequested', request);
  if (!parsed.ok) throw new UsageError(parsed.issues.join('; '), usage);
  return putClientEvent(clients, 'RestoreRequested', request, 'request');
}

/**
 * Puts one event on Rewind's bus as `rewind.cli` and returns the event id EventBridge gave it; an event
 * the bus did not take is an error naming the bus and what to check.
 */
export async function putClientEvent(
  clients: Clients,
  detailType: EventName,
  detail: unknown,
  what: string,
): Promise<string> {
  const busName = clients.target.names.busName;
  const out = await clients.events.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: busName, Source: CLI_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) },
      ],
    }),
  );
  const entry = out.Entries?.[0];
  if (out.FailedEntryCount || !entry?.EventId) {
    throw new CliError(
      `bus ${busName} did not take the ${what}: ${entry?.ErrorCode ?? 'no event id'} ${entry?.ErrorMessage ?? ''}`.trim(),
      'check the bus name and your permissions (events:PutEvents on the bus)',
    );
  }
  return entry.EventId;
}

/**
 * Waits until intake has answered the request event `eventId` (a new run, a rejection, or the run an
 * earlier request with the same requestId started) and returns that run: intake maps the event id to the
 * run first, then writes it.
 */
export async function awaitRun(
  clients: Clients,
  eventId: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<RunRecord> {
  const { timeoutMs = 60_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  let runId: string | undefined;
  for (;;) {
    runId = (await clients.store.claimedRunId(idempotencyKey.event(eventId))) ?? runId;
    const run = runId ? await clients.store.getRun(runId) : undefined;
    if (run) return run;
    if (Date.now() > deadline) {
      const { names, description } = clients.target;
      throw new CliError(
        `request event ${eventId} was published to bus ${names.busName} on ${description}, but no run appeared in table ${names.tableName} within ${Math.round(timeoutMs / 1000)}s`,
        clients.target.local
          ? 'is the function runtime running? (rewind local up starts it; --no-functions does not)'
          : 'is the restore service deployed and its inbox consumed? check its DLQ with: rewind dlq',
      );
    }
    await sleep(intervalMs);
  }
}

/** The run, or an error that says where it was looked for and how to find runs. */
export async function getRunOrExplain(clients: Clients, runId: string): Promise<RunRecord> {
  const run = await clients.store.getRun(runId);
  if (!run) {
    throw new CliError(
      `no run ${runId} in table ${clients.target.names.tableName}`,
      'list runs with: rewind list',
    );
  }
  return run;
}
