import {
  cancelRefusal,
  failStep,
  isAfterSetAside,
  logIncoming,
  parseEvent,
  StaleWriteError,
  type Envelope,
  type ServiceContext,
} from '@rewind/shared';

const ATTEMPTS = 5;

/**
 * `CancelRequested`: fails the run's current step with the operator's reason (conditional on the version
 * read, so a step that moves on at the same moment is re-read and judged again), or answers
 * `CancelRefused` saying why not.
 */
export async function cancel(raw: unknown, envelope: Envelope, ctx: ServiceContext): Promise<void> {
  const parsed = parseEvent('CancelRequested', raw);
  if (!parsed.ok) {
    const runId =
      typeof (raw as { runId?: unknown })?.runId === 'string'
        ? String((raw as { runId: string }).runId).slice(0, 128)
        : '(none)';
    await ctx.publisher.publish('CancelRefused', {
      runId,
      reason: `invalid CancelRequested: ${parsed.message.slice(0, 500)}. Expected {"runId": "run-...", "reason": "..."}`,
    });
    return;
  }
  const { runId, reason, requestedBy } = parsed.value;
  const log = ctx.log.child({ runId });
  for (let attempt = 1; ; attempt++) {
    const run = await ctx.store.getRun(runId);
    const refused = run ? cancelRefusal(run) : `no run ${runId}; list runs with: rewind list`;
    if (refused || !run) {
      log.info('cancel refused', { reason: refused });
      await ctx.publisher.publish('CancelRefused', { runId, reason: refused! });
      return;
    }
    const step = run.run.next!;
    const why = `cancelled${requestedBy ? ` by ${requestedBy}` : ''}${reason ? `: ${reason}` : ''}`;
    const leftOver =
      step === 'snapshot' && run.expectation?.step === 'snapshot' && run.names.snapshot
        ? ` (snapshot ${run.names.snapshot} may still be being created; it is kept: delete it if unwanted)`
        : '';
    try {
      await failStep(ctx, run, step, `${why}${leftOver}`, 'Cancelled');
      await logIncoming(ctx, runId, 'CancelRequested', parsed.value, envelope.source);
      log.warn('run cancelled', { step, rollback: isAfterSetAside(run.run, step), requestedBy });
      return;
    } catch (err) {
      if (!(err instanceof StaleWriteError) || attempt >= ATTEMPTS) throw err;
    }
  }
}
