import { idempotencyKey } from '@rewind/shared';
import { randomBytes } from 'node:crypto';
import { EventPublisher, parseEvent, type EventInput, type RunRecord } from '@rewind/shared';
import type { Clients } from './context';
import { CliError, UsageError } from './errors';

export const CLI_SOURCE = 'rewind.cli';

/** The key intake claims for a request with a requestId (services/restore/src/intake.ts). */
export const requestKey = (requestId: string) => idempotencyKey.request(requestId);

export const newRequestId = () =>
  `cli-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Validates a RestoreRequested locally (a usage error says what is wrong) and publishes it as `rewind.cli`. */
export async function publishRequest(
  clients: Clients,
  request: EventInput<'RestoreRequested'>,
  usage: string,
): Promise<void> {
  const parsed = parseEvent('RestoreRequested', request);
  if (!parsed.ok) throw new UsageError(parsed.issues.join('; '), usage);
  const publisher = new EventPublisher(clients.events, {
    busName: clients.target.names.busName,
    source: CLI_SOURCE,
  });
  await publisher.publish('RestoreRequested', request);
}

/**
 * Waits until intake has recorded the run of `requestId` (accepted or rejected) and returns it: intake
 * claims the request key first, then writes the run.
 */
export async function awaitRun(
  clients: Clients,
  requestId: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<RunRecord> {
  const { timeoutMs = 60_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  let runId: string | undefined;
  for (;;) {
    runId ??= await clients.store.claimedRunId(requestKey(requestId));
    const run = runId ? await clients.store.getRun(runId) : undefined;
    if (run) return run;
    if (Date.now() > deadline) {
      const { names, description } = clients.target;
      throw new CliError(
        `request ${requestId} was published to bus ${names.busName} on ${description}, but no run appeared in table ${names.tableName} within ${Math.round(timeoutMs / 1000)}s`,
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
