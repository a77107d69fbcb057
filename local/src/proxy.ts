import { Agent, request } from 'node:http';
import type { LocalRequest, LocalResponse } from './types';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

/** Forwards a request to a server on a loopback port over a keep-alive connection pool. */
export function createLoopbackProxy(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  function forward(req: LocalRequest): Promise<LocalResponse> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers['content-length'] = String(req.body.length);
    headers.host = `127.0.0.1:${port}`;
    const path = req.query.size > 0 ? `${req.path}?${req.query.toString()}` : req.path;
    return new Promise((resolve, reject) => {
      const out = request({ host: '127.0.0.1', port, method: req.method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const outHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = Array.isArray(v) ? v.join(',') : v;
          }
          resolve({ status: res.statusCode ?? 502, headers: outHeaders, body: Buffer.concat(chunks) });
        });
      });
      out.on('error', reject);
      out.end(req.body);
    });
  }
  return { forward, close: () => agent.destroy() };
}
