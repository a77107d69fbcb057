import { SERVICE_NAMES, type ServiceName } from '@rewind/shared';
import { inspectDlqs, redriveDlqs, type DlqContents, type PeekedMessage } from '../../queues';
import type { ConsoleContext } from '../context';
import { html, query, type Html } from '../html';
import { badge, time, type Page } from '../layout';

const LABELS = { poison: 'poison', transient: 'transient', delivery: 'delivery failure' } as const;

function messagesTable(messages: readonly PeekedMessage[], caption: string): Html {
  return html`<table aria-label="${caption}">
    <thead>
      <tr>
        <th scope="col">Message</th>
        <th scope="col">Class</th>
        <th scope="col">Event</th>
        <th scope="col">Run</th>
        <th scope="col">Sent</th>
        <th scope="col">Why, and what to do</th>
      </tr>
    </thead>
    <tbody>
      ${messages.map(
        (m) =>
          html`<tr data-message="${m.messageId}">
            <td class="mono">${m.messageId}</td>
            <td>${badge(m.failureClass, LABELS[m.failureClass])}</td>
            <td>${m.detailType ?? '(not an event)'}</td>
            <td>
              ${m.runId ? html`<a class="mono" href="/runs/${encodeURIComponent(m.runId)}">${m.runId}</a>` : '-'}
            </td>
            <td>${time(m.sentAt)}</td>
            <td>${m.why}<br /><strong>Do:</strong> ${m.action}<br /><code>${m.body}</code></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function queueSection(q: DlqContents): Html {
  return html`<h3 id="q-${q.queue}">
      <span class="mono">${q.queue}</span>
      <span class="badge s-${q.approximateCount ? 'warning' : 'none'}"
        >${q.approximateCount} message${q.approximateCount === 1 ? '' : 's'}</span
      >
    </h3>
    <p class="muted">
      ${q.kind === 'inbox-dlq' ? `Messages the ${q.service} function failed (or found it can never process)` : `Events EventBridge could not deliver to ${q.inbox}`};
      a redrive moves them back to
      ${q.inbox}.${q.approximateCount > q.messages.length ? ` Showing the first ${q.messages.length}.` : ''}
    </p>
    ${q.messages.length ? messagesTable(q.messages, `Messages in ${q.queue}`) : ''}`;
}

function serviceOf(params: URLSearchParams): ServiceName | undefined | Error {
  const service = params.get('service') ?? '';
  if (!service) return undefined;
  return (SERVICE_NAMES as readonly string[]).includes(service)
    ? (service as ServiceName)
    : new Error(`unknown service "${service}"; services: ${SERVICE_NAMES.join(', ')}`);
}

/** The dead letters page: what `rewind dlq` shows, per service, with a redrive for each. */
export async function deadLettersPage(ctx: ConsoleContext): Promise<Page> {
  const queues = await inspectDlqs(ctx.clients, { limit: 10 });
  const total = queues.reduce((n, q) => n + q.approximateCount, 0);
  const services = SERVICE_NAMES.map((s) => ({ s, queues: queues.filter((q) => q.service === s) }));
  return {
    title: 'Dead letters',
    section: 'dead-letters',
    liveMs: ctx.liveMs * 3,
    body: html`<h1>Dead letters</h1>
      <p class="lead">
        What is in each service's dead-letter queues and why, the same as <code>rewind dlq</code>; nothing is
        consumed by looking. ${total ? `${total} message(s) in all.` : 'All dead-letter queues are empty.'}
      </p>
      ${services.map(({ s, queues: qs }) => {
        const count = qs.reduce((n, q) => n + q.approximateCount, 0);
        return html`<section aria-labelledby="svc-${s}">
          <h2 id="svc-${s}">${s} <span class="muted">(${count})</span></h2>
          ${count ? html`<div class="actions"><a class="button" href="/dead-letters/redrive${query({ service: s })}">Redrive ${s}…</a></div>` : ''}
          ${qs.map(queueSection)}
        </section>`;
      })}`,
  };
}

/** The confirmation of a redrive: exactly which messages move where, and which stay. */
export async function redriveConfirmPage(ctx: ConsoleContext, params: URLSearchParams): Promise<Page> {
  const service = serviceOf(params);
  if (service instanceof Error)
    return {
      title: 'Redrive',
      section: 'dead-letters',
      status: 400,
      body: html`<p class="panel bad" role="alert">${service.message}</p>`,
    };
  const includePoison = params.get('poison') === '1';
  const queues = await inspectDlqs(ctx.clients, { service, limit: 100 });
  const moving = queues.flatMap((q) =>
    q.messages.filter((m) => includePoison || m.failureClass !== 'poison').map((m) => ({ q, m })),
  );
  const staying = queues.flatMap((q) =>
    q.messages.filter((m) => !includePoison && m.failureClass === 'poison'),
  );
  const what = service ? `the ${service} service` : 'every service';
  return {
    title: 'Redrive: confirm',
    section: 'dead-letters',
    body: html`<h1>Redrive the dead letters of ${what}?</h1>
      <div class="panel warn">
        <p>
          This moves these ${moving.length} message(s), and only these, back to the inbox they came from,
          where the function processes them again (as
          <code>rewind redrive${service ? ` ${service}` : ''}${includePoison ? ' --include-poison' : ''}</code
          >):
        </p>
        <ul>
          ${queues.filter((q) => q.approximateCount).map((q) => html`<li><span class="mono">${q.queue}</span> → <span class="mono">${q.inbox}</span>: ${q.messages.filter((m) => includePoison || m.failureClass !== 'poison').length} message(s)</li>`)}
        </ul>
        ${staying.length ? html`<p>${staying.length} poison message(s) stay where they are: they can never be processed as they are. <a href="/dead-letters/redrive${query({ service, poison: '1' })}">Include them</a> only once a handler that accepts them is deployed.</p>` : ''}
      </div>
      ${
        moving.length
          ? messagesTable(
              moving.map(({ m }) => m),
              'Messages that will move',
            )
          : html`<p class="panel">Nothing to move.</p>`
      }
      <form method="post" action="/dead-letters/redrive" class="actions">
        <input type="hidden" name="token" value="${ctx.token}" />
        <input type="hidden" name="service" value="${service ?? ''}" />
        <input type="hidden" name="poison" value="${includePoison ? '1' : ''}" />
        <input type="hidden" name="ids" value="${moving.map(({ m }) => m.messageId).join(',')}" />
        <button type="submit" ${moving.length ? '' : html` disabled`}>
          Redrive ${moving.length} message(s)
        </button>
        <a class="button secondary" href="/dead-letters">Cancel</a>
      </form>`,
  };
}

/** Does the redrive (POST) and says what moved. */
export async function redrivePost(ctx: ConsoleContext, form: URLSearchParams): Promise<Page> {
  const service = serviceOf(form);
  if (service instanceof Error)
    return {
      title: 'Redrive',
      section: 'dead-letters',
      status: 400,
      body: html`<p class="panel bad" role="alert">${service.message}</p>`,
    };
  // Exactly the messages the confirmation showed: one that arrived since stays for the next look.
  const only = new Set((form.get('ids') ?? '').split(',').filter(Boolean));
  const results = await redriveDlqs(ctx.clients, {
    service,
    includePoison: form.get('poison') === '1',
    only,
  });
  const moved = results.reduce((n, r) => n + r.moved, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const kept = results.flatMap((r) => r.kept);
  return {
    title: 'Redrive: done',
    section: 'dead-letters',
    body: html`<h1>Redrive done</h1>
      <div class="panel ${failed ? 'bad' : 'ok'}" role="status">
        <p>
          ${moved} message(s) moved
          back${failed ? `, ${failed} could not be sent (still in their DLQ)` : ''}.${kept.length ? ` ${kept.length} message(s) left in place (poison ones, or ones that arrived after the confirmation: look again).` : ''}
        </p>
      </div>
      <table aria-label="Redrive results">
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col" class="num">Moved</th>
            <th scope="col" class="num">Left in place</th>
            <th scope="col" class="num">Failed</th>
          </tr>
        </thead>
        <tbody>
          ${results.map(
            (r) =>
              html`<tr>
                <td class="mono">${r.queue}</td>
                <td class="mono">${r.to}</td>
                <td class="num">${r.moved}</td>
                <td class="num">${r.kept.length}</td>
                <td class="num">${r.failed}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p><a href="/runs">Follow the runs</a> · <a href="/dead-letters">Dead letters</a></p>`,
  };
}
