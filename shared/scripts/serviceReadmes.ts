import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_DOCS } from '../src/contracts/events';
import { topology, type ServiceSpec } from '../src/topology';

/**
 * The "Wiring" section of each service's README: the steps it owns, the rules that feed its inbox (with
 * their patterns), the events it emits and the AWS actions it may call, all read from the topology and
 * the event contracts, so the README cannot drift from what is deployed.
 */

export const ROOT = join(__dirname, '..', '..');
const BEGIN =
  '<!-- wiring: generated from shared/src/topology.ts by `npm run docs:generate`; do not edit -->';
const END = '<!-- end of wiring -->';

const code = (value: string) => `\`${value}\``;

/** A markdown table with its columns padded as prettier pads them (the README stays prettier-clean). */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function renderWiring(spec: ServiceSpec): string {
  const steps = spec.steps.length
    ? `Steps it owns: ${spec.steps.map(code).join(', ')}. Each starts when an event whose \`run.next\` names it arrives, then waits on RDS events and deadline checks (delayed messages to its own inbox).`
    : 'It owns no step of a run.';
  const rules = spec.rules.map((r) => [code(r.name), r.description, code(JSON.stringify(r.pattern))]);
  const emits = spec.emits.map((e) => [`[${code(e)}](../../docs/events/${e}.json)`, EVENT_DOCS[e].meaning]);
  return [
    BEGIN,
    '',
    '## Wiring',
    '',
    steps,
    '',
    `Consumes: the EventBridge rules on the Rewind bus that feed its inbox queue (\`${spec.name}\` inbox, one Lambda consumer).`,
    '',
    ...table(['rule', 'receives', 'pattern'], rules),
    '',
    emits.length ? 'Emits, on the Rewind bus with source `rewind`:' : 'Emits nothing on the bus.',
    ...(emits.length ? ['', ...table(['event', 'meaning'], emits)] : []),
    '',
    `AWS actions its role grants beyond the state table, the bus and its own queues: ${spec.permissions.map(code).join(', ')}.`,
    '',
    END,
  ].join('\n');
}

/** `readme` with its wiring section replaced, or appended when it has none. */
export function withWiring(readme: string, spec: ServiceSpec): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  const section = renderWiring(spec);
  return start >= 0 && end > start
    ? readme.slice(0, start) + section + readme.slice(end + END.length)
    : `${readme.trimEnd()}\n\n${section}\n`;
}

const readmePath = (spec: ServiceSpec) => join(ROOT, 'services', spec.name, 'README.md');

/** Every service README as it should be: path and content. */
export function renderServiceReadmes(): { path: string; content: string }[] {
  return topology.services.map((spec) => {
    const path = readmePath(spec);
    return { path, content: withWiring(readFileSync(path, 'utf8'), spec) };
  });
}
