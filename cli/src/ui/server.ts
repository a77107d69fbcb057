import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { explainAwsError, type Clients } from '../context';
import { CliError } from '../errors';
import { getRunOrExplain } from '../requests';
import { runDocument } from '../runView';
import { CSS, LIVE_SCRIPT } from './assets';
import type { ConsoleContext } from './context';
import { html } from './html';
import { documentOf, type Page } from './layout';
import {
  cancelConfirmPage,
  cancelPost,
  problemPage,
  replayConfirmPage,
  replayPost,
  requestPage,
  requestPost,
} from './pages/actions';
import { choreographyPage } from './pages/choreography';
import { databasesPage } from './pages/databases';
import './facets';
import './replication';
import { deadLettersPage, redriveConfirmPage, redrivePost } from './pages/deadLetters';
import { replicateConfirmPage, replicatePost, replicationPage } from './pages/replication';
import { runPage } from './pages/run';
import { runsPage } from './pages/runs';

export interface ConsoleOptions {
  /** 0 (default): a free port. */
  port?: number;
  /** How often live pages refresh (default 1000 ms). */
  liveMs?: number;
  /** The session token (default: 32 random bytes). */
  token?: string;
  /** The policy file the databases page reads (snapshot policies, DR plans). */
  policyFile?: string;
}

export interface RunningConsole {
  /** What to open: the address with the session, once. */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const COOKIE = 'rewind_console';

/** The session cookie of the request, if any. */
function cookieOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return null;
}
const MAX_FORM_BYTES = 64 * 1024;

/** Headers of every answer: nothing from elsewhere, no framing, no referrer beyond this origin (so that a form sends its real Origin, checked on POST), nothing cached; no CORS headers at all. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/x-www-form-urlencoded')
      return reject(
        new HttpError(415, `a form (application/x-www-form-urlencoded) is expected, not "${type}"`),
      );
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        reject(new HttpError(413, `the form is larger than ${MAX_FORM_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

const sameToken = (given: string | null, token: string) =>
  given !== null &&
  Buffer.byteLength(given) === Buffer.byteLength(token) &&
  timingSafeEqual(Buffer.from(given), Buffer.from(token));

/**
 * The console's HTTP server, on 127.0.0.1 only. It answers only requests addressed to it by that name
 * (the Host header: a DNS-rebound name is refused), sends no CORS headers, and changes nothing but on a
 * POST that carries the session's token from a page of its own (Origin and Sec-Fetch-Site checked when
 * the browser sends them).
 */
export async function startConsole(clients: Clients, options: ConsoleOptions = {}): Promise<RunningConsole> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const ctx: ConsoleContext = {
    clients,
    token,
    liveMs: options.liveMs ?? 1000,
    policyFile: options.policyFile,
  };
  let port = 0;
  const origins = () => [`http://${HOST}:${port}`, `http://localhost:${port}`];
  const hosts = () => [`${HOST}:${port}`, `localhost:${port}`];

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(body);
  };
  const sendPage = (req: IncomingMessage, res: ServerResponse, page: Page) => {
    if (req.headers['x-rewind-fragment'] === 'main') {
      send(res, page.status ?? 200, 'text/html; charset=utf-8', page.body.text, {
        'X-Rewind-Live': String(page.liveMs ?? 0),
      });
    } else {
      send(res, page.status ?? 200, 'text/html; charset=utf-8', documentOf(page, clients.target.description));
    }
  };
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(303, { ...SECURITY_HEADERS, Location: location, 'Content-Length': 0 });
    res.end();
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hosts().includes(req.headers.host ?? '')) {
      throw new HttpError(
        421,
        `this console answers only to ${hosts().join(' or ')}, not to "${req.headers.host ?? ''}": open http://${HOST}:${port}/`,
      );
    }
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // The session: the address printed at start carries it once (?session=), a cookie afterwards. Other
    // users of this machine reach 127.0.0.1 too; without it they get nothing but the stylesheet and script.
    const session = url.searchParams.get('session');
    if (session !== null && (method === 'GET' || method === 'HEAD')) {
      if (!sameToken(session, token))
        throw new HttpError(401, 'this session address is not (or no longer) valid');
      url.searchParams.delete('session');
      res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      return redirect(res, `${path === '/' ? '/runs' : path}${url.search}`);
    }
    if (!path.startsWith('/assets/') && !sameToken(cookieOf(req), token)) {
      throw new HttpError(
        401,
        'no session: open the address rewind ui printed (it carries the session once, a cookie keeps it); a console restarted since prints a new one',
      );
    }
    const runMatch = /^\/runs\/([^/]+?)(\.json|\/replay|\/cancel)?$/.exec(path);
    const posts = ['/actions/request', '/dead-letters/redrive', '/replication/replicate'];
    const isPost = posts.includes(path) || runMatch?.[2] === '/replay' || runMatch?.[2] === '/cancel';

    if (method === 'POST') {
      if (!isPost) throw new HttpError(405, `${path} takes no POST`);
      const origin = req.headers.origin;
      if (origin !== undefined && !origins().includes(origin))
        throw new HttpError(403, `a form from ${origin} cannot act here: only this console's own pages can`);
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none')
        throw new HttpError(403, `a ${site} request cannot act here: only this console's own pages can`);
      const form = await readForm(req);
      if (!sameToken(form.get('token'), token))
        throw new HttpError(
          403,
          'the session token is missing or wrong: reload the page (a console restarted since has a new token) and confirm again',
        );
      try {
        if (path === '/actions/request')
          return redirect(res, `/runs/${encodeURIComponent(await requestPost(ctx, form))}`);
        if (path === '/dead-letters/redrive') return sendPage(req, res, await redrivePost(ctx, form));
        if (path === '/replication/replicate') return redirect(res, await replicatePost(ctx, form));
        const runId = decodeURIComponent(runMatch![1]!);
        if (runMatch![2] === '/cancel') {
          await cancelPost(ctx, runId, form);
          return redirect(res, `/runs/${encodeURIComponent(runId)}`);
        }
        return redirect(res, `/runs/${encodeURIComponent(await replayPost(ctx, runId, form))}`);
      } catch (err) {
        if (err instanceof CliError) return sendPage(req, res, problemPage('Not done', err, 409));
        throw err;
      }
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', isPost ? 'GET, POST' : 'GET');
      throw new HttpError(405, `${method} is not served here`);
    }
    if (path === '/') return redirect(res, '/runs');
    if (path === '/assets/console.css') return send(res, 200, 'text/css; charset=utf-8', CSS);
    if (path === '/assets/live.js') return send(res, 200, 'text/javascript; charset=utf-8', LIVE_SCRIPT);
    if (path === '/runs') return sendPage(req, res, await runsPage(ctx, url.searchParams));
    if (runMatch) {
      const runId = decodeURIComponent(runMatch[1]!);
      if (runMatch[2] === '.json') {
        const run = await getRunOrExplain(clients, runId).catch((err: unknown) => {
          throw err instanceof CliError ? new HttpError(404, err.message) : err;
        });
        const body = JSON.stringify(runDocument(run, await clients.store.getTimeline(runId)), null, 2);
        return send(res, 200, 'application/json; charset=utf-8', body);
      }
      if (runMatch[2] === '/replay') return sendPage(req, res, await replayConfirmPage(ctx, runId));
      if (runMatch[2] === '/cancel') return sendPage(req, res, await cancelConfirmPage(ctx, runId));
      return sendPage(req, res, await runPage(ctx, runId));
    }
    if (path === '/choreography') return sendPage(req, res, await choreographyPage(ctx, url.searchParams));
    if (path === '/databases') return sendPage(req, res, await databasesPage(ctx));
    if (path === '/dead-letters') return sendPage(req, res, await deadLettersPage(ctx));
    if (path === '/replication') return sendPage(req, res, await replicationPage(ctx, url.searchParams));
    if (path === '/replication/replicate')
      return sendPage(req, res, await replicateConfirmPage(ctx, url.searchParams));
    if (path === '/dead-letters/redrive')
      return sendPage(req, res, await redriveConfirmPage(ctx, url.searchParams));
    if (path === '/actions/request') return sendPage(req, res, requestPage(ctx, url.searchParams));
    throw new HttpError(404, `nothing at ${path}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 502;
      const explained = err instanceof HttpError ? err : explainAwsError(err, clients.target);
      const page =
        err instanceof HttpError
          ? {
              title: `${status}`,
              status,
              body: html`<h1>${status}</h1>
                <p class="panel bad" role="alert">${err.message}</p>
                <p><a href="/runs">Runs</a></p>`,
            }
          : problemPage(`Could not read from ${clients.target.description}`, explained, status);
      if (res.headersSent) return res.end();
      if (status === 421 || status === 403 || status === 401)
        send(res, status, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
      else sendPage(req, res, page);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/?session=${token}`,
    origin: `http://${HOST}:${port}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
