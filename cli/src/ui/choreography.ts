import {
  RDS_DETAIL_TYPES,
  RDS_EVENT_SOURCES,
  topology,
  type LogEntry,
  type RunRecord,
  type ServiceName,
  type ServiceSpec,
} from '@rewind/shared';
import { isActive } from '../runList';
import { outgoingOf } from '../runView';
import { html, type Html } from './html';

/**
 * The choreography as the topology writes it: every service around the bus, what each receives (its
 * rules) and publishes (its `emits`); clients and RDS at the ends. A selected run's path is laid over it.
 */

export interface ServiceNode {
  name: ServiceName;
  description: string;
  steps: readonly string[];
  /** Its rules, each said in a few words. */
  receives: string[];
  publishes: readonly string[];
}

type Pattern = { source?: string[]; 'detail-type'?: string[]; detail?: { run?: { next?: string[] } } };

function ruleSummary(pattern: Pattern): string {
  const next = pattern.detail?.run?.next;
  if (next) return `events with run.next = ${next.join(' | ')}`;
  const types = pattern['detail-type'] ?? [];
  if (pattern.source?.some((s) => (RDS_EVENT_SOURCES as readonly string[]).includes(s)))
    return `RDS: ${types.map((t) => t.replace(/^RDS DB /, '').replace(/ Event$/, '')).join(', ')}`;
  return types.join(', ');
}

export function serviceNodes(): ServiceNode[] {
  return topology.services.map((s: ServiceSpec) => ({
    name: s.name,
    description: s.description,
    steps: s.steps,
    receives: s.rules.map((r) => ruleSummary(r.pattern as Pattern)),
    publishes: s.emits,
  }));
}

/** Events some rule takes by name that no service publishes: what clients send. */
export function clientEvents(): string[] {
  const emitted = new Set(topology.services.flatMap((s) => s.emits as readonly string[]));
  const taken = topology.services.flatMap((s) =>
    s.rules.flatMap((r) =>
      (r.pattern as Pattern).source ? [] : ((r.pattern as Pattern)['detail-type'] ?? []),
    ),
  );
  return [...new Set(taken.filter((t) => !emitted.has(t)))];
}

/** The service whose rule delivers an event of this type with this `run.next` (the step's owner, or a subscriber by name). */
function consumersOf(type: string, next: string | null): ServiceName[] {
  return topology.services
    .filter((s) =>
      s.rules.some((r) => {
        const p = r.pattern as Pattern;
        if (p.source && !p.source.includes('rewind')) return false;
        if (p.detail?.run?.next) return next !== null && p.detail.run.next.includes(next);
        return (p['detail-type'] ?? []).includes(type);
      }),
    )
    .map((s) => s.name);
}

export interface PathHop {
  at: string;
  from: string;
  event: string;
  to: ServiceName[];
  next: string | null;
  failed: boolean;
}

/** Where a run went: each event it published once, who published it and whose rules took it. */
export function runPath(timeline: readonly LogEntry[]): PathHop[] {
  return outgoingOf(timeline).map((e) => {
    const next = (e.detail as { run?: { next?: string | null } } | undefined)?.run?.next ?? null;
    return {
      at: e.at,
      from: e.source ?? '?',
      event: e.type,
      to: consumersOf(e.type, next),
      next,
      failed: ['RestoreFailed', 'RollbackFailed', 'RunFailed', 'RestoreRejected'].includes(e.type),
    };
  });
}

export const ownerOf = (step: string | null | undefined) =>
  step ? topology.services.find((s) => (s.steps as readonly string[]).includes(step))?.name : undefined;

/** Words of `lead` and the items (comma-separated) in lines of at most `width` characters; later lines indented. */
function wrap(items: readonly string[], width: number, lead: string): string[] {
  const words = [lead, ...items.flatMap((item, i) => `${item}${i < items.length - 1 ? ',' : ''}`.split(' '))];
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

interface Box {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  title: string;
  lines: string[];
  href?: string;
  state?: 'visited' | 'current' | 'failed';
  bus?: boolean;
}

const LINE = 15;
const WIDTH = 1200;
const BOX_W = 258;
const CHARS = 36;

function boxLines(node: ServiceNode): string[] {
  return [
    ...(node.steps.length ? wrap(node.steps, CHARS, 'steps:') : ['steps: none (alerts)']),
    ...node.receives.flatMap((r) => wrap([r], CHARS, 'in:')),
    ...(node.publishes.length ? wrap(node.publishes, CHARS, 'out:') : []),
  ];
}

function drawBox(b: Box): Html {
  const body = html`<g class="node${b.bus ? ' bus' : ''}${b.state ? ` ${b.state}` : ''}" id="node-${b.id}">
    <rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6"></rect>
    <text class="title" x="${b.x + 10}" y="${b.y + 20}"
      >${b.title}${b.state === 'current' ? ' ◀ now' : b.state === 'failed' ? ' ✗' : ''}</text
    >
    ${b.lines.map((l, i) => html`<text class="small" x="${b.x + 10}" y="${b.y + 38 + i * LINE}">${l}</text>`)}
  </g>`;
  return b.href ? html`<a href="${b.href}" aria-label="${b.title}">${body}</a>` : body;
}

function arrow(x1: number, y1: number, x2: number, y2: number, cls: string): Html {
  return html`<line
    class="edge ${cls}"
    x1="${x1}"
    y1="${y1}"
    x2="${x2}"
    y2="${y2}"
    marker-end="url(#arrow)"
  ></line>`;
}

/** The graph as SVG; with a run, the services its events went through, the current one and a failed one marked. */
export function choreographySvg(run?: RunRecord, timeline: readonly LogEntry[] = []): Html {
  const nodes = serviceNodes();
  const path = run ? runPath(timeline) : [];
  const visited = new Set<string>(path.flatMap((h) => [h.from, ...h.to]));
  const used = new Set<string>(path.flatMap((h) => [`out:${h.from}`, ...h.to.map((t) => `in:${t}`)]));
  const current = run && isActive(run) ? ownerOf(run.run.next) : undefined;
  const failedAt = run?.failure ? ownerOf(run.failure.step) : undefined;
  const state = (name: string): Box['state'] =>
    name === current ? 'current' : name === failedAt ? 'failed' : visited.has(name) ? 'visited' : undefined;

  const top = nodes.slice(0, Math.ceil(nodes.length / 2));
  const bottom = nodes.slice(top.length);
  const heightOf = (n: ServiceNode) => 30 + boxLines(n).length * LINE;
  const topH = Math.max(...top.map(heightOf));
  const bottomH = bottom.length ? Math.max(...bottom.map(heightOf)) : 0;
  const busY = 20 + topH + 60;
  const busH = 44;
  const bottomY = busY + busH + 60;
  const height = bottomY + bottomH + 20;
  const spread = (row: ServiceNode[], i: number) =>
    180 + ((WIDTH - 360) / row.length) * (i + 0.5) - BOX_W / 2;

  const boxes: Box[] = [
    ...top.map((n, i) => ({ n, x: spread(top, i), y: 20 + topH - heightOf(n) })),
    ...bottom.map((n, i) => ({ n, x: spread(bottom, i), y: bottomY })),
  ].map(({ n, x, y }) => ({
    id: n.name,
    x,
    y,
    w: BOX_W,
    h: heightOf(n),
    title: n.name,
    lines: boxLines(n),
    href: `#service-${n.name}`,
    state: state(n.name),
  }));
  const clients = clientEvents();
  const ends: Box[] = [
    {
      id: 'clients',
      x: 10,
      y: busY - 30,
      w: 160,
      h: 30 + Math.max(1, clients.length) * LINE + 14,
      title: 'clients',
      lines: clients,
      state: path.length ? 'visited' : undefined,
    },
    {
      id: 'rds',
      x: WIDTH - 170,
      y: busY - 30,
      w: 160,
      h: 30 + RDS_DETAIL_TYPES.length * LINE + 14,
      title: 'RDS (default bus)',
      lines: RDS_DETAIL_TYPES.map((t) => t.replace(/^RDS /, '')),
    },
  ];
  const bus: Box = {
    id: 'bus',
    x: 190,
    y: busY,
    w: WIDTH - 380,
    h: busH,
    title: 'Rewind bus (EventBridge) + archive',
    lines: [],
    bus: true,
  };

  const edges = boxes.flatMap((b) => {
    const above = b.y < busY;
    const outX = b.x + b.w / 2 - 30;
    const inX = b.x + b.w / 2 + 30;
    const boxEdge = above ? b.y + b.h : b.y;
    const busEdge = above ? busY : busY + busH;
    return [
      arrow(outX, boxEdge, outX, busEdge + (above ? -2 : 2), used.has(`out:${b.id}`) ? 'used' : ''),
      arrow(inX, busEdge, inX, boxEdge + (above ? 2 : -2), used.has(`in:${b.id}`) ? 'used' : ''),
    ];
  });
  edges.push(arrow(170, busY + busH / 2, 188, busY + busH / 2, path.length ? 'used' : ''));
  edges.push(arrow(WIDTH - 170, busY + busH / 2, WIDTH - 192, busY + busH / 2, ''));

  const described = run
    ? `Run ${run.runId}: ${path.length} events; ${current ? `now at ${current}` : `ended ${run.status}`}${failedAt ? `, failed in ${failedAt}` : ''}.`
    : 'Each service receives the events its rules match from the bus and publishes its own events to it.';
  return html`<svg
    class="graph"
    viewBox="0 0 ${WIDTH} ${height}"
    role="img"
    aria-labelledby="graph-title graph-desc"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="graph-title">Rewind's services around the bus</title>
    <desc id="graph-desc">${described}</desc>
    <defs>
      <marker
        id="arrow"
        viewBox="0 0 10 10"
        refX="9"
        refY="5"
        markerWidth="7"
        markerHeight="7"
        orient="auto-start-reverse"
      >
        <path d="M 0 0 L 10 5 L 0 10 z" fill="#4b5563"></path>
      </marker>
    </defs>
    ${edges} ${drawBox(bus)} ${ends.map(drawBox)} ${boxes.map(drawBox)}
  </svg>`;
}
