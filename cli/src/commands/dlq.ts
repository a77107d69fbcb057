import { SERVICE_NAMES, type ServiceName } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { intOption, parseCommand, TARGET_USAGE } from '../options';
import { formatTime, Output } from '../output';
import { inspectDlqs, redriveDlqs, type FailureClass } from '../queues';

const DLQ_USAGE = `Usage: rewind dlq [<service>] [--limit N]

  What is in each dead-letter queue and why, without consuming anything: per service the inbox DLQ and
  the target DLQ. Each message is explained from the attributes it carries:
    poison     the function can never process it as it is (not JSON, unknown, breaks its contract): the
               handler moved it to the inbox DLQ at once, tagged rewind-failure-class=poison with the reason.
               Redriving cannot help; rewind redrive leaves it unless --include-poison.
    transient  no such tag: the function failed it on every receive (maxReceiveCount), then SQS moved it.
               Fix the cause (see the function's logs), then rewind redrive.
    delivery   in a target DLQ: EventBridge could not deliver it to the inbox (ERROR_CODE, ERROR_MESSAGE).
  Messages are received with their attributes and made visible again at once (SQS counts the receive; a
  DLQ has no redrive policy, so nothing moves because of it).

  <service>   ${SERVICE_NAMES.join(' | ')} (default: all)
  --limit N   at most N messages shown per queue (default 10)

${TARGET_USAGE}`;

const REDRIVE_USAGE = `Usage: rewind redrive [<service>] [--include-poison]

  Moves the messages of the inbox DLQ and target DLQ of each service (or of one) back to its inbox, where
  its function processes them again; prints the counts. Poison messages (rewind dlq) stay where they are:
  they would fail again at once.

  <service>          ${SERVICE_NAMES.join(' | ')} (default: all)
  --include-poison   move poison messages too (once a handler that accepts them is deployed)

${TARGET_USAGE}`;

function serviceArg(positionals: string[], usage: string): ServiceName | undefined {
  const service = positionals[0];
  if (service !== undefined && !(SERVICE_NAMES as readonly string[]).includes(service)) {
    throw new UsageError(`unknown service "${service}"; services: ${SERVICE_NAMES.join(', ')}`, usage);
  }
  return service as ServiceName | undefined;
}

const CLASS_LABELS: Record<FailureClass, string> = {
  poison: 'poison',
  transient: 'transient',
  delivery: 'delivery failure',
};

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'What is in each dead-letter queue, and why (nothing consumed)',
  usage: DLQ_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { limit: { type: 'string' } }, DLQ_USAGE, {
      min: 0,
      max: 1,
    });
    const service = serviceArg(positionals, DLQ_USAGE);
    const limit = intOption(values.limit, 'limit', 10, DLQ_USAGE);
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const queues = await inspectDlqs(clients, { service, limit });
      out.table(queues, [
        { header: 'QUEUE', value: (q) => q.queue },
        { header: 'MESSAGES', value: (q) => String(q.approximateCount), align: 'right' },
      ]);
      for (const q of queues.filter((q) => q.messages.length)) {
        out.line();
        out.line(
          out.paint('bold', `${q.queue}`) +
            (q.approximateCount > q.messages.length
              ? ` (first ${q.messages.length} of ${q.approximateCount})`
              : ''),
        );
        for (const m of q.messages) {
          const label = out.paint(
            m.failureClass === 'poison' ? 'red' : 'yellow',
            CLASS_LABELS[m.failureClass],
          );
          out.line(
            `  ${m.messageId}  ${label}  ${m.detailType ?? '(not an event)'}  run ${m.runId ?? '-'}  sent ${formatTime(m.sentAt)}`,
          );
          out.line(`    why:  ${m.why}`);
          out.line(`    do:   ${m.action}`);
          out.line(`    body: ${m.body}`);
        }
      }
      const total = queues.reduce((n, q) => n + q.approximateCount, 0);
      const shown = queues.flatMap((q) => q.messages);
      const byClass = Object.fromEntries(
        (Object.keys(CLASS_LABELS) as FailureClass[]).map((c) => [
          c,
          shown.filter((m) => m.failureClass === c).length,
        ]),
      ) as Record<FailureClass, number>;
      out.line();
      if (!total) {
        out.line('All dead-letter queues are empty.');
      } else {
        const counts = (Object.keys(CLASS_LABELS) as FailureClass[])
          .filter((c) => byClass[c])
          .map((c) => `${byClass[c]} ${CLASS_LABELS[c]}`);
        out.line(`${total} message(s)${counts.length ? ` (of those shown: ${counts.join(', ')})` : ''}.`);
        out.line(
          byClass.poison
            ? 'Once the cause is fixed: rewind redrive [<service>] moves them back, except the poison ones (--include-poison).'
            : 'Once the cause is fixed: rewind redrive [<service>] moves them back to the inboxes.',
        );
      }
      out.document({ queues, total, byClass });
      return 0;
    });
  },
};

export const redriveCommand: Command = {
  name: 'redrive',
  summary: 'Move dead-letter messages back to the service inboxes (not poison ones unless asked)',
  usage: REDRIVE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { 'include-poison': { type: 'boolean' } },
      REDRIVE_USAGE,
      { min: 0, max: 1 },
    );
    const service = serviceArg(positionals, REDRIVE_USAGE);
    const includePoison = values['include-poison'] === true;
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const results = await redriveDlqs(clients, { service, includePoison });
      out.table(results, [
        { header: 'FROM', value: (r) => r.queue },
        { header: 'TO', value: (r) => r.to },
        { header: 'MOVED', value: (r) => String(r.moved), align: 'right' },
        { header: 'POISON LEFT', value: (r) => String(r.kept.length), align: 'right' },
        { header: 'FAILED', value: (r) => String(r.failed), align: 'right' },
      ]);
      const moved = results.reduce((n, r) => n + r.moved, 0);
      const failed = results.reduce((n, r) => n + r.failed, 0);
      const kept = results.flatMap((r) => r.kept.map((m) => ({ queue: r.queue, ...m })));
      out.line();
      out.line(
        `${moved} message(s) moved back${failed ? `, ${failed} could not be sent (still in their DLQ)` : ''}.`,
      );
      if (kept.length) {
        out.line(
          `${kept.length} poison message(s) left in place: they can never be processed as they are, so redriving them would only send them back to the DLQ.`,
        );
        for (const m of kept) out.line(`  ${m.queue} ${m.messageId}: ${m.reason ?? ''}`);
        out.line(
          `  fix what sent them; once a handler that accepts them is deployed: rewind redrive${service ? ` ${service}` : ''} --include-poison`,
        );
      }
      out.document({ results, moved, failed, poisonLeft: kept.length });
      return failed ? 1 : 0;
    });
  },
};
