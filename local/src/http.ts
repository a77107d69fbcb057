import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalRequest, LocalResponse } from './types';

/** Reads a whole Node request into a LocalRequest. */
export async function readLocalRequest(req: IncomingMessage): Promise<LocalRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://localhost');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks),
  };
}

export function writeLocalResponse(res: ServerResponse, r: LocalResponse): void {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  res.writeHead(r.status, { 'content-length': String(body.length), ...(r.headers ?? {}) });
  res.end(body);
}

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): LocalResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** The SigV4 signing name in the Authorization header's credential scope, e.g. "events". */
export function signingNameOf(headers: LocalRequest['headers']): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth !== 'string') return undefined;
  const m = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  return m?.[1];
}
