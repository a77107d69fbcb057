import { jsonResponse } from '../http';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';

/** One POST to a webhook, accepted or failed on purpose. */
export interface WebhookDelivery {
  name: string;
  /** The sender's account when its URL names one (`?account=`: the local cloud gives each install its own). */
  account?: string;
  status: number;
  /** Parsed JSON body (Slack-style: `text` and/or `blocks`). */
  body: unknown;
  receivedAt: string;
}

function isSlackPayload(value: unknown): value is { text?: unknown; blocks?: unknown } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { text?: unknown; blocks?: unknown; attachments?: unknown };
  return typeof v.text === 'string' || Array.isArray(v.blocks) || Array.isArray(v.attachments);
}

/**
 * Slack-style webhook sink under `/_rewind/webhook/`:
 * - `POST <name>[?account=<id>]`: a delivery (JSON with `text`, `blocks` or `attachments`; else 400
 *   `invalid_payload`), recorded with the sender's account when the URL names it;
 * - `POST <name>/failures` `{ "count": n, "status"?: 500 }`: the next n deliveries to `<name>` fail;
 * - `GET` (all) or `GET <name>`: deliveries, failed ones included with their status;
 * - `DELETE`: clears deliveries and pending failures.
 */
export function createWebhookSink(): EmulatedService {
  const deliveries: WebhookDelivery[] = [];
  const failures = new Map<string, { remaining: number; status: number }>();

  function deliver(name: string, req: LocalRequest): LocalResponse {
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      body = undefined;
    }
    const receivedAt = new Date().toISOString();
    const account = req.query.get('account') ?? undefined;
    const from = account === undefined ? {} : { account };
    if (!isSlackPayload(body)) {
      deliveries.push({ name, ...from, status: 400, body: req.body.toString('utf8'), receivedAt });
      return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'invalid_payload' };
    }
    const failure = failures.get(name);
    if (failure && failure.remaining > 0) {
      failure.remaining--;
      deliveries.push({ name, ...from, status: failure.status, body, receivedAt });
      return { status: failure.status, headers: { 'content-type': 'text/plain' }, body: 'injected_failure' };
    }
    deliveries.push({ name, ...from, status: 200, body, receivedAt });
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
  }

  async function admin(req: LocalRequest, subpath: string): Promise<LocalResponse> {
    const [name, sub, extra] = subpath.split('/');
    if (req.method === 'DELETE' && !name) {
      const cleared = deliveries.splice(0).length;
      failures.clear();
      return jsonResponse(200, { cleared });
    }
    if (req.method === 'GET' && extra === undefined && sub === undefined) {
      return jsonResponse(200, { deliveries: name ? deliveries.filter((d) => d.name === name) : deliveries });
    }
    if (req.method === 'POST' && name && sub === undefined) return deliver(name, req);
    if (req.method === 'POST' && name && sub === 'failures' && extra === undefined) {
      const input = JSON.parse(req.body.toString('utf8') || '{}') as { count?: unknown; status?: unknown };
      const count = Number(input.count);
      const status = input.status === undefined ? 500 : Number(input.status);
      if (
        !Number.isInteger(count) ||
        count < 0 ||
        !Number.isInteger(status) ||
        status < 400 ||
        status > 599
      ) {
        return jsonResponse(400, { error: 'Body must be {"count": <integer >= 0>, "status"?: <400-599>}' });
      }
      failures.set(name, { remaining: count, status });
      return jsonResponse(200, { name, failNext: count, status });
    }
    return jsonResponse(404, {
      error:
        'Webhook routes: POST /_rewind/webhook/<name>, POST /_rewind/webhook/<name>/failures, GET /_rewind/webhook[/<name>], DELETE /_rewind/webhook',
    });
  }

  return { signingNames: [], handle: async () => jsonResponse(404, {}), adminPrefix: 'webhook', admin };
}
