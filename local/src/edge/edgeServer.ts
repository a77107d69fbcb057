import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonResponse, readLocalRequest, writeLocalResponse } from '../http';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';
import { awsErrorResponse } from './awsError';
import { resolveCaller, type IdentityOptions } from './identity';
import { describeUnresolved, resolveService } from './serviceResolver';

export interface EdgeOptions {
  /** 0 = a free port. */
  port: number;
  services: readonly EmulatedService[];
  /** Default account and region, and access key -> account mapping. */
  identity?: IdentityOptions;
  verbose?: boolean;
  log?: (line: string) => void;
  /** IAM hook: the refusal of a request its caller may not make, undefined when allowed (local/src/iam). */
  authorize?: Authorize;
}

export type Authorize = (req: LocalRequest, service: string) => LocalResponse | undefined;

export interface Edge {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  close(): Promise<void>;
}

const ADMIN_PREFIX = '/_rewind/';

/** Routes requests to emulated services by signing name, and `/_rewind/<prefix>/...` to their admin APIs. */
class EdgeRouter {
  private readonly bySigningName = new Map<string, EmulatedService>();
  private readonly byAdminPrefix = new Map<string, EmulatedService>();
  /** Requests per `service:Action` (JSON protocols by X-Amz-Target), for benchmarks and tests. */
  private readonly counts = new Map<string, number>();

  constructor(
    services: readonly EmulatedService[],
    private readonly identity?: IdentityOptions,
    private readonly authorize?: Authorize,
  ) {
    for (const service of services) {
      for (const name of service.signingNames) this.bySigningName.set(name, service);
      if (service.adminPrefix) this.byAdminPrefix.set(service.adminPrefix, service);
    }
  }

  supported(): string[] {
    return [...this.bySigningName.keys()].sort();
  }

  /** Returns the response and the name of what handled it (for logs). */
  async route(req: LocalRequest): Promise<{ response: LocalResponse; target: string }> {
    if (req.path.startsWith(ADMIN_PREFIX)) return this.routeAdmin(req);
    const resolved = resolveService(req);
    const service = resolved && this.bySigningName.get(resolved.name);
    if (!resolved || !service) {
      const what = resolved ? `service "${resolved.name}"` : describeUnresolved(req);
      const message = `The Rewind local cloud does not emulate ${what}. Supported services: ${this.supported().join(', ')}.`;
      return {
        response: awsErrorResponse(req, 400, 'UnknownService', message),
        target: resolved?.name ?? '?',
      };
    }
    this.count(resolved.name, req);
    if (this.identity) req.caller = resolveCaller(req, this.identity);
    // IAM hook: requests signed by a function role are evaluated against its policies first.
    const denied = this.authorize?.(req, resolved.name);
    if (denied) return { response: denied, target: `${resolved.name} (denied)` };
    return { response: await service.handle(req), target: resolved.name };
  }

  private count(service: string, req: LocalRequest): void {
    const target = req.headers['x-amz-target'];
    const action = typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) : '*';
    const key = `${service}:${action}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  requestCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  private async routeAdmin(req: LocalRequest): Promise<{ response: LocalResponse; target: string }> {
    const rest = req.path.slice(ADMIN_PREFIX.length);
    const slash = rest.indexOf('/');
    const prefix = slash === -1 ? rest : rest.slice(0, slash);
    const subpath = slash === -1 ? '' : rest.slice(slash + 1);
    if (prefix === 'edge' && subpath === 'requests') {
      if (req.method === 'DELETE') this.counts.clear();
      return { response: jsonResponse(200, { requests: this.requestCounts() }), target: 'admin' };
    }
    if (prefix === 'health') {
      return { response: jsonResponse(200, { status: 'ok', services: this.supported() }), target: 'admin' };
    }
    const service = this.byAdminPrefix.get(prefix);
    if (!service?.admin) {
      const known = ['health', ...this.byAdminPrefix.keys()].sort().join(', ');
      return {
        response: jsonResponse(404, {
          error: `No admin API "${prefix}" under ${ADMIN_PREFIX}; known: ${known}`,
        }),
        target: 'admin',
      };
    }
    return { response: await service.admin(req, subpath), target: `admin:${prefix}` };
  }
}

/** Starts the edge endpoint on loopback. */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const router = new EdgeRouter(options.services, options.identity, options.authorize);
  const log = options.log ?? ((line: string) => console.log(line));
  const server: Server = createServer((nodeReq, nodeRes) => {
    const started = performance.now();
    void (async () => {
      let status = 500;
      let target = '?';
      let path = nodeReq.url ?? '/';
      try {
        const req = await readLocalRequest(nodeReq);
        path = req.path;
        const routed = await router.route(req);
        target = routed.target;
        status = routed.response.status;
        writeLocalResponse(nodeRes, routed.response);
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`[edge] ${nodeReq.method} ${path} failed: ${message}`);
        if (!nodeRes.headersSent) {
          writeLocalResponse(nodeRes, jsonResponse(500, { __type: 'InternalFailure', message: String(err) }));
        } else nodeRes.destroy();
      }
      if (options.verbose) {
        log(
          `[edge] ${nodeReq.method} ${path} -> ${target} ${status} ${(performance.now() - started).toFixed(1)}ms`,
        );
      }
    })();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
