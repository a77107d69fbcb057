import { SERVICE_NAMES, type ServiceName } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { UsageError } from '../errors';
import { intOption, parseCommand, TARGET_USAGE } from '../options';
import { Output } from '../output';
import {
  approximateCount,
  dlqsOf,
  explainMessage,
  moveMessages,
  peek,
  queueUrl,
  type PeekedMessage,
} from '../queues';

const DLQ_USAGE = `Usage: rewind dlq [<service>] [--limit N]

  What is in each dead-letter queue and why, without consuming anything: per service the inbox DLQ
  (messages its function failed maxReceiveCount times) and the target DLQ (events EventBridge could not
  deliver to the inbox). Per message: detail-type, run id, receive count, why, the first 200 characters.

  <service>   ${SERVICE_NAMES.join(' | ')} (default: all)
  --limit N   at most N messages shown per queue (default 10)

${TARGET_USAGE}`;

const REDRIVE_USAGE = `Usage: rewind redrive [<service>]

  Moves the messages of the inbox DLQ and target DLQ of each service (or of one) back to its inbox,
  where its function processes them again; prints the counts.

  <service>   ${SERVICE_NAMES.join(' | ')} (default: all)

${TARGET_USAGE}`;

function serviceArg(positionals: string[], usage: string): ServiceName | undefined {
  const service = positionals[0];
  if (service !== undefined && !(SERVICE_NAMES as readonly string[]).includes(service)) {
    throw new UsageError(`unknown service "${service}"; services: ${SERVICE_NAMES.join(', ')}`, usage);
  }
  return service as ServiceName | undefined;
}

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
      const queues: {
        queue: string;
        service: string;
        kind: string;
        approximateCount: number;
        messages: PeekedMessage[];
      }[] = [];
      for (const dlq of dlqsOf(clients.target.names, service)) {
        const url = await queueUrl(clients.sqs, dlq.name);
        const count = await approximateCount(clients.sqs, url);
        const messages = count
          ? (await peek(clients.sqs, url, limit)).map((m) => explainMessage(m, dlq.kind, dlq.inboxName))
          : [];
        queues.push({
          queue: dlq.name,
          service: dlq.service,
          kind: dlq.kind,
          approximateCount: count,
          messages,
        });
      }
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
          out.line(
            `  ${m.messageId}  ${m.detailType ?? '(no detail-type)'}  run ${m.runId ?? '-'}  received ${m.receiveCount}x`,
          );
          out.line(`    why:  ${m.why}`);
          out.line(`    body: ${m.body}`);
        }
      }
      const total = queues.reduce((n, q) => n + q.approximateCount, 0);
      out.line();
      out.line(
        total
          ? `${total} message(s); move them back to the inboxes with: rewind redrive [<service>]`
          : 'All dead-letter queues are empty.',
      );
      out.document({ queues, total });
      return 0;
    });
  },
};

export const redriveCommand: Command = {
  name: 'redrive',
  summary: 'Move dead-letter messages back to the service inboxes',
  usage: REDRIVE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, {}, REDRIVE_USAGE, { min: 0, max: 1 });
    const service = serviceArg(positionals, REDRIVE_USAGE);
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const results: { queue: string; to: string; moved: number; failed: number }[] = [];
      for (const dlq of dlqsOf(clients.target.names, service)) {
        const url = await queueUrl(clients.sqs, dlq.name);
        const { moved, failed } = (await approximateCount(clients.sqs, url))
          ? await moveMessages(clients.sqs, url, await queueUrl(clients.sqs, dlq.inboxName))
          : { moved: 0, failed: 0 };
        results.push({ queue: dlq.name, to: dlq.inboxName, moved, failed });
      }
      out.table(results, [
        { header: 'FROM', value: (r) => r.queue },
        { header: 'TO', value: (r) => r.to },
        { header: 'MOVED', value: (r) => String(r.moved), align: 'right' },
        { header: 'FAILED', value: (r) => String(r.failed), align: 'right' },
      ]);
      const moved = results.reduce((n, r) => n + r.moved, 0);
      const failed = results.reduce((n, r) => n + r.failed, 0);
      out.line();
      out.line(
        `${moved} message(s) moved back${failed ? `, ${failed} could not be sent (still in their DLQ)` : ''}.`,
      );
      out.document({ results, moved, failed });
      return failed ? 1 : 0;
    });
  },
};
