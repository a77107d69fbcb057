import type { RunRecord } from '@rewind/shared';
import { formatTime } from '../output';
import { html, type Html } from './html';

export type Section = 'runs' | 'choreography' | 'databases' | 'replication' | 'dead-letters';

const NAV: readonly [Section, string, string][] = [
  ['runs', '/runs', 'Runs'],
  ['choreography', '/choreography', 'Choreography'],
  ['databases', '/databases', 'Databases'],
  ['replication', '/replication', 'Replication'],
  ['dead-letters', '/dead-letters', 'Dead letters'],
];

/** What a page handler returns: its title, section, content, and how often it refreshes (0: never). */
export interface Page {
  title: string;
  section?: Section;
  body: Html;
  /** Milliseconds between live refreshes of the content; 0 or absent: a page that does not change. */
  liveMs?: number;
  status?: number;
}

/** The whole document around a page's content. */
export function documentOf(page: Page, target: string): string {
  return `<!doctype html>${html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>${page.title} · Rewind</title>
      <link rel="stylesheet" href="/assets/console.css" />
      <script src="/assets/live.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/runs">Rewind console</a>
        <nav aria-label="Sections">
          <ul>
            ${NAV.map(
              ([section, href, label]) =>
                html`<li>
                  <a href="${href}" ${page.section === section ? html` aria-current="page"` : ''}>${label}</a>
                </li>`,
            )}
          </ul>
        </nav>
        <span class="target">${target}</span>
      </header>
      <p id="live-status" role="status"></p>
      <main id="main" data-live="${page.liveMs ?? 0}" tabindex="-1">${page.body}</main>
    </body>
  </html>`}`;
}

/** A status as a badge: words and colour (never colour alone). */
export const badge = (status: string, label = status) =>
  html`<span class="badge s-${status}">${label}</span>`;

/** A run's status, with its warnings counted. */
export function runBadge(run: RunRecord): Html {
  if (run.status === 'completed' && run.warnings.length)
    return badge('warning', `completed, ${run.warnings.length} warning${run.warnings.length > 1 ? 's' : ''}`);
  return badge(run.status);
}

export const time = (iso: string | undefined) =>
  iso ? html`<time datetime="${iso}" class="nowrap">${formatTime(iso)}</time>` : html`-`;
