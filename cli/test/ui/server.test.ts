import { request } from 'node:http';
import { resourceNames } from '@rewind/shared';
import { createClients, type Clients } from '../../src/context';
import { startConsole, type RunningConsole } from '../../src/ui/server';

/**
 * What keeps the console to this machine and its own pages. Nothing here reaches the data: every refusal
 * happens before (the clients point at a port where nothing listens).
 */

let clients: Clients;
let web: RunningConsole;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: web.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const SESSION = { Cookie: 'rewind_console=the-session-token' };

beforeAll(async () => {
  clients = createClients({
    endpoint: 'http://127.0.0.1:9',
    local: true,
    region: 'us-east-1',
    names: resourceNames('rewind-local'),
    description: 'nowhere',
  });
  web = await startConsole(clients, { token: 'the-session-token' });
});
afterAll(async () => {
  await web.close();
  clients.close();
});

describe('the console stays on this machine', () => {
  test('it listens on 127.0.0.1, on a free port, and its address carries the session', () => {
    expect(web.url).toBe(`http://127.0.0.1:${web.port}/?session=the-session-token`);
    expect(web.port).toBeGreaterThan(0);
  });

  test('without the session (the printed address once, then its cookie) only the stylesheet and script are served', async () => {
    const host = { Host: `127.0.0.1:${web.port}` };
    const stranger = await call('GET', '/runs', host);
    expect(stranger.status).toBe(401);
    expect(stranger.body).toContain('open the address rewind ui printed');
    expect((await call('GET', '/runs?session=guess', host)).status).toBe(401);
    expect((await call('GET', '/runs', { ...host, Cookie: 'rewind_console=guess' })).status).toBe(401);
    expect((await call('GET', '/assets/console.css', host)).status).toBe(200);

    const opened = await call('GET', '/?session=the-session-token', host);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/runs');
    expect(opened.headers['set-cookie']).toEqual([
      'rewind_console=the-session-token; HttpOnly; SameSite=Strict; Path=/',
    ]);
  });

  test('a request for another host name (DNS rebinding) is refused before anything is read', async () => {
    const rebound = await call('GET', '/runs', { Host: `attacker.example:${web.port}`, ...SESSION });
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain(`answers only to 127.0.0.1:${web.port} or localhost:${web.port}`);
    const otherPort = await call('GET', '/assets/console.css', { Host: '127.0.0.1:80' });
    expect(otherPort.status).toBe(421);
    const own = await call('GET', '/assets/console.css', { Host: `localhost:${web.port}` });
    expect(own.status).toBe(200);
  });

  test('no CORS header, even when asked; a CSP that allows only its own scripts and forms; no framing', async () => {
    const answer = await call('GET', '/assets/live.js', {
      Host: `127.0.0.1:${web.port}`,
      Origin: 'https://attacker.example',
    });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(answer.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(answer.headers['x-frame-options']).toBe('DENY');
    const preflight = await call('OPTIONS', '/actions/request', {
      ...SESSION,
      Host: `127.0.0.1:${web.port}`,
      Origin: 'https://attacker.example',
      'Access-Control-Request-Method': 'POST',
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('a POST acts only with the session token, from a page of this console', async () => {
    const host = { Host: `127.0.0.1:${web.port}`, ...FORM, ...SESSION };
    const fields = { identifier: 'orders-db', kind: 'instance', task: 'create_snapshot_only' };

    const noToken = await call('POST', '/actions/request', host, form(fields));
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain('the session token is missing or wrong');
    const wrongToken = await call('POST', '/actions/request', host, form({ ...fields, token: 'guess' }));
    expect(wrongToken.status).toBe(403);

    const token = { ...fields, token: 'the-session-token' };
    const crossOrigin = await call(
      'POST',
      '/actions/request',
      { ...host, Origin: 'https://attacker.example' },
      form(token),
    );
    expect(crossOrigin.status).toBe(403);
    expect(crossOrigin.body).toContain('a form from https://attacker.example cannot act here');
    const crossSite = await call(
      'POST',
      '/dead-letters/redrive',
      { ...host, 'Sec-Fetch-Site': 'cross-site' },
      form(token),
    );
    expect(crossSite.status).toBe(403);
    const notAForm = await call(
      'POST',
      '/actions/request',
      { Host: host.Host, 'Content-Type': 'application/json', ...SESSION },
      JSON.stringify(token),
    );
    expect(notAForm.status).toBe(415);

    // With the token, from its own origin, it goes on to do it (and fails only because nothing is there).
    const own = await call(
      'POST',
      '/actions/request',
      { ...host, Origin: `http://127.0.0.1:${web.port}` },
      form(token),
    );
    expect(own.status).toBe(502);
    expect(own.body).toContain('Could not read from nowhere');
  });

  test('replicate now, like every action: a POST with the token from its own origin; its GET only confirms', async () => {
    const host = { Host: `127.0.0.1:${web.port}`, ...FORM, ...SESSION };
    const fields = { policy: 'orders-to-staging', requestId: 'cli-1' };
    expect((await call('POST', '/replication/replicate', host, form(fields))).status).toBe(403);
    const crossOrigin = await call(
      'POST',
      '/replication/replicate',
      { ...host, Origin: 'https://attacker.example' },
      form({ ...fields, token: 'the-session-token' }),
    );
    expect(crossOrigin.status).toBe(403);
    expect((await call('POST', '/replication', host, form({ token: 'the-session-token' }))).status).toBe(405);
    // Without a policy file there is nothing to replicate: said, with the fix; nothing is read or sent.
    const confirm = await call('GET', '/replication/replicate?policy=orders-to-staging', {
      Host: host.Host,
      ...SESSION,
    });
    expect(confirm.status).toBe(409);
    expect(confirm.body).toContain('start the console with --config FILE');
  });

  test('state changes only by POST: a GET of an action shows a confirmation and changes nothing', async () => {
    const page = await call(
      'GET',
      '/actions/request?identifier=orders-db&kind=instance&task=create_snapshot_only&step=review',
      { Host: `127.0.0.1:${web.port}`, ...SESSION },
    );
    expect(page.status).toBe(200);
    expect(page.body).toContain('<form method="post" action="/actions/request"');
    expect(page.body).toContain('name="token" value="the-session-token"');
    expect(page.body).toContain('&quot;task&quot;: &quot;create_snapshot_only&quot;');
    const invalid = await call('GET', '/actions/request?identifier=orders%20db&kind=instance&step=review', {
      Host: `127.0.0.1:${web.port}`,
      ...SESSION,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('the request is not valid: identifier');
  });
});
