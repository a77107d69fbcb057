import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { RewindConfig } from '@rewind/shared';
import { renderSlack, renderText, type Notification } from './messages';

/** Delivery channels: SES email and Slack incoming webhooks. Each throws on failure so it is retried. */
export interface Channel {
  id: string;
  send(n: Notification): Promise<void>;
}

export class WebhookError extends Error {
  override name = 'WebhookError';
}

export function emailChannel(ses: SESv2Client, from: string, to: string[]): Channel {
  return {
    id: `email:${to.join(',')}`,
    send: async (n) => {
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: to },
          Content: { Simple: { Subject: { Data: n.subject }, Body: { Text: { Data: renderText(n) } } } },
        }),
      );
    },
  };
}

export function slackChannel(url: string, fetchImpl: typeof fetch = fetch): Channel {
  const host = new URL(url).host;
  return {
    id: `slack:${url}`,
    send: async (n) => {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(renderSlack(n)),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new WebhookError(`Slack webhook at ${host} answered ${res.status}`);
    },
  };
}

/** Webhook URLs from configuration: listed directly, or in an SSM parameter (comma/newline list or JSON array). */
export async function webhookUrls(config: RewindConfig, ssm: SSMClient): Promise<string[]> {
  if (!config.slackWebhooksParam) return config.slackWebhookUrls;
  const out = await ssm.send(
    new GetParameterCommand({ Name: config.slackWebhooksParam, WithDecryption: true }),
  );
  const value = out.Parameter?.Value?.trim() ?? '';
  const urls = value.startsWith('[') ? (JSON.parse(value) as string[]) : value.split(/[\s,]+/);
  return [...config.slackWebhookUrls, ...urls.filter(Boolean)];
}
