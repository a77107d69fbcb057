import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Envelope, EventDetail, ServiceContext } from '@rewind/shared';
import { emailChannel, slackChannel, webhookUrls, type Channel } from './channels';
import {
  failoverCompletedMessage,
  failoverFailedMessage,
  failoverRejectedMessage,
  rejectedMessage,
  replicationCompletedMessage,
  replicationFailedMessage,
  rollbackFailedMessage,
  runCompletedMessage,
  runFailedMessage,
  snapshotFailedMessage,
  type Notification,
} from './messages';

export interface NotifyDeps {
  ses: SESv2Client;
  ssm: SSMClient;
  fetch: typeof fetch;
}

let defaultDeps: NotifyDeps | undefined;
export function notifyDeps(): NotifyDeps {
  const common = { endpoint: process.env.AWS_ENDPOINT_URL || undefined, region: process.env.AWS_REGION };
  defaultDeps ??= { ses: new SESv2Client(common), ssm: new SSMClient(common), fetch };
  return defaultDeps;
}

async function channels(ctx: ServiceContext, deps: NotifyDeps): Promise<Channel[]> {
  const list: Channel[] = [];
  const { senderEmail, recipientEmails } = ctx.config;
  if (senderEmail && recipientEmails.length) list.push(emailChannel(deps.ses, senderEmail, recipientEmails));
  for (const url of await webhookUrls(ctx.config, deps.ssm)) list.push(slackChannel(url, deps.fetch));
  return list;
}

/**
 * Sends a notification on every channel not yet served for this event. A failing channel does not
 * stop the others; the message is then retried (SQS) and only the failed channels are tried again.
 */
export async function deliver(
  ctx: ServiceContext,
  deps: NotifyDeps,
  envelope: Envelope,
  n: Notification,
  runId: string,
): Promise<void> {
  const all = await channels(ctx, deps);
  const log = ctx.log.child({ runId });
  if (!all.length) {
    log.warn('no notification channel configured (sender/recipient emails, Slack webhooks)', {
      subject: n.subject,
    });
    return;
  }
  const done = new Set(await ctx.store.deliveredChannels(envelope.id));
  const failures: string[] = [];
  const sent: string[] = [];
  for (const channel of all.filter((c) => !done.has(c.id))) {
    try {
      await channel.send(n);
      await ctx.store.recordDelivery(envelope.id, channel.id);
      sent.push(channel.id.split(':')[0]!);
    } catch (err) {
      failures.push(`${channel.id.split(':')[0]}: ${(err as Error).message}`);
    }
  }
  if (sent.length) {
    await ctx.store.appendLog({
      runId,
      at: ctx.now().toISOString(),
      direction: 'note',
      type: 'NotificationSent',
      summary: `${n.subject} -> ${sent.join(', ')}`,
      source: 'notify',
    });
  }
  if (failures.length) throw new Error(`notification channels failed (will retry): ${failures.join('; ')}`);
  log.info('notified', { subject: n.subject, channels: sent });
}

export function notifyRoutes(depsFactory: () => NotifyDeps = notifyDeps) {
  return {
    RestoreRejected: (d: EventDetail<'RestoreRejected'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, rejectedMessage(d), d.runId),
    RunFailed: (d: EventDetail<'RunFailed'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, runFailedMessage(d), d.run.id),
    RollbackFailed: (d: EventDetail<'RollbackFailed'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, rollbackFailedMessage(d), d.run.id),
    SnapshotFailed: (d: EventDetail<'SnapshotFailed'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, snapshotFailedMessage(d), `policy:${d.policy}`),
    RunCompleted: async (d: EventDetail<'RunCompleted'>, e: Envelope, ctx: ServiceContext) => {
      if (!ctx.config.notifyOnSuccess && d.warnings.length === 0) return;
      await deliver(ctx, depsFactory(), e, runCompletedMessage(d), d.run.id);
    },
    FailoverRejected: (d: EventDetail<'FailoverRejected'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, failoverRejectedMessage(d), d.runId),
    FailoverFailed: (d: EventDetail<'FailoverFailed'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, failoverFailedMessage(d), d.run.id),
    // A failover or failback is never routine: its completion is always announced.
    FailoverCompleted: (d: EventDetail<'FailoverCompleted'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, failoverCompletedMessage(d), d.run.id),
    // In the account where it failed; a source account also hears of its destinations' failures.
    ReplicationFailed: (d: EventDetail<'ReplicationFailed'>, e: Envelope, ctx: ServiceContext) =>
      deliver(ctx, depsFactory(), e, replicationFailedMessage(d), `replication:${d.replicationId}`),
    // Routine, like a completed run: announced when asked (notifyOnSuccess) or when it has warnings.
    ReplicationCompleted: async (
      d: EventDetail<'ReplicationCompleted'>,
      e: Envelope,
      ctx: ServiceContext,
    ) => {
      if (!ctx.config.notifyOnSuccess && d.warnings.length === 0) return;
      await deliver(ctx, depsFactory(), e, replicationCompletedMessage(d), `replication:${d.replicationId}`);
    },
  };
}
