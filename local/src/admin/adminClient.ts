import { request } from 'node:http';
import { AdminRequestError } from '../errors';
import type { ProvisionedResources } from '../provision/provision';
import type { FunctionCounts, FunctionStatus, InvocationRecord } from '../runtime/invocationLog';
import type { SentEmail } from '../sinks/sesSink';
import type { WebhookDelivery } from '../sinks/webhookSink';

/** A small typed client for the local cloud's `/_rewind/...` admin routes. */
export class AdminClient {
  constructor(readonly endpoint: string) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(
      path.startsWith('/_rewind/') ? path : `/_rewind/${path.replace(/^\//, '')}`,
      this.endpoint,
    );
    const payload =
      body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: false,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 400) return reject(new AdminRequestError(method, url.pathname, status, text));
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch {
              resolve(text as T);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** GET any admin route, e.g. `rds/...` or `/_rewind/events/...` of the emulators. */
  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body ?? {});
  }
  delete<T = unknown>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  health(): Promise<{ status: string; services: string[] }> {
    return this.get('health');
  }
  /** What provisioning created (404 when provisioning was off). */
  resources(): Promise<ProvisionedResources> {
    return this.get('resources');
  }

  async sentEmails(): Promise<SentEmail[]> {
    return (await this.get<{ messages: SentEmail[] }>('ses/messages')).messages;
  }
  async clearEmails(): Promise<void> {
    await this.delete('ses/messages');
  }

  async webhookDeliveries(name?: string): Promise<WebhookDelivery[]> {
    return (
      await this.get<{ deliveries: WebhookDelivery[] }>(
        `webhook${name ? `/${encodeURIComponent(name)}` : ''}`,
      )
    ).deliveries;
  }
  /** The next `count` deliveries to webhook `name` answer `status` (default 500). */
  async failWebhook(name: string, count: number, status = 500): Promise<void> {
    await this.post(`webhook/${encodeURIComponent(name)}/failures`, { count, status });
  }
  async clearWebhooks(): Promise<void> {
    await this.delete('webhook');
  }

  async invocations(functionName?: string): Promise<InvocationRecord[]> {
    const query = functionName ? `?function=${encodeURIComponent(functionName)}` : '';
    return (await this.get<{ invocations: InvocationRecord[] }>(`runtime/invocations${query}`)).invocations;
  }
  async invocationCounts(): Promise<Record<string, FunctionCounts>> {
    return (await this.get<{ counts: Record<string, FunctionCounts> }>('runtime/counts')).counts;
  }
  async clearInvocations(): Promise<void> {
    await this.delete('runtime/invocations');
  }
  async functions(): Promise<FunctionStatus[]> {
    return (await this.get<{ functions: FunctionStatus[] }>('runtime/functions')).functions;
  }

  /** DR: cuts a region off (`false`) for global failovers, or brings it back (`true`: old primaries rejoin). */
  async setRegionReachable(region: string, reachable: boolean): Promise<void> {
    await this.post('rds/outage', { region, reachable });
  }

  /** DR: the replication lag of a global secondary cluster or a read replica (CloudWatch reads it). */
  async setReplicationLag(
    where: { region: string; account?: string },
    target: { cluster: string } | { instance: string },
    lagMs: number,
  ): Promise<void> {
    const query = new URLSearchParams({
      region: where.region,
      ...(where.account ? { account: where.account } : {}),
    });
    await this.post(`rds/replication-lag?${query.toString()}`, { ...target, lagMs });
  }
}
