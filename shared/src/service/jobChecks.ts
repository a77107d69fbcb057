import { randomUUID } from 'node:crypto';
import type { WaitConfig } from '../config';
import type { Job, JobStore } from '../state/jobs';
import { sendToOwnInbox, type ServiceContext } from './context';

/**
 * The deadline checks of a job (snapshot policies, replication): a delayed message to the service's own
 * inbox naming the job and the number of the check chain. Moving the chain on is a conditional write, so
 * of two messages about one job only one sends the next check, and a check of an older chain is dropped.
 */
export interface JobCheck {
  job: string;
  seq: number;
}

/** The check a message carries, or undefined for anything else. */
export function jobCheckOf(raw: unknown): JobCheck | undefined {
  const detail = raw as Partial<JobCheck> | undefined;
  return typeof detail?.job === 'string' && typeof detail.seq === 'number'
    ? { job: detail.job, seq: detail.seq }
    : undefined;
}

/** First check soon, then doubling up to the longest delay. */
export function checkBackoffSeconds(wait: WaitConfig, seq: number): number {
  return Math.round(Math.min(wait.maxCheckSeconds, wait.firstCheckSeconds * 2 ** Math.max(0, seq - 1)));
}

/** Sends the job's current check (`detail-type` = `type`), after `delaySeconds`. */
export async function sendJobCheck(
  ctx: ServiceContext,
  type: string,
  job: Job,
  delaySeconds: number,
): Promise<void> {
  const detail: JobCheck = { job: job.pk, seq: job.seq };
  await sendToOwnInbox(
    ctx,
    { id: randomUUID(), 'detail-type': type, source: `rewind.${ctx.service}`, detail },
    delaySeconds,
  );
}

/**
 * Moves the chain on from `seq` and sends the next check (its delay computed once the chain moved); if
 * the send fails the chain is put back, so the message that failed is retried and sends it.
 */
export async function nextJobCheck<T extends Job>(
  ctx: ServiceContext,
  store: JobStore<T>,
  job: T,
  seq: number,
  type: string,
  delaySeconds: () => number,
): Promise<void> {
  if (!(await store.nextCheck(job, seq))) return;
  try {
    await sendJobCheck(ctx, type, job, delaySeconds());
  } catch (err) {
    await store.undoCheck(job, seq);
    throw err;
  }
}
