import { z } from 'zod';
import { EVENT_DOCS, EVENT_NAMES, EVENT_SCHEMAS, type EventName } from './events';
import { EVENT_EXAMPLES } from './examples';

/** JSON Schema (draft 2020-12) of an event's `detail`, as a producer must send it. */
export function eventJsonSchema(name: EventName): Record<string, unknown> {
  const schema = z.toJSONSchema(EVENT_SCHEMAS[name], { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    $id: `https://rewind.dev/events/${name}.json`,
    title: name,
    description: `${EVENT_DOCS[name].meaning}. Producer: ${EVENT_DOCS[name].producer}. EventBridge detail-type "${name}".`,
    examples: [EVENT_EXAMPLES[name]],
  };
}

/** Every file of docs/events/: one schema per event plus an index. Keys are file names. */
export function renderEventDocs(): Record<string, string> {
  const files: Record<string, string> = {};
  const rows = EVENT_NAMES.map((name) => {
    files[`${name}.json`] = JSON.stringify(eventJsonSchema(name), null, 2) + '\n';
    return `| [\`${name}\`](${name}.json) | ${EVENT_DOCS[name].producer} | ${EVENT_DOCS[name].meaning} |`;
  });
  files['index.json'] =
    JSON.stringify(
      EVENT_NAMES.map((name) => ({ name, file: `${name}.json`, ...EVENT_DOCS[name] })),
      null,
      2,
    ) + '\n';
  files['README.md'] = [
    '# Rewind event catalog',
    '',
    'Generated from `shared/src/contracts/events.ts` by `npm run events:generate`; do not edit by hand.',
    '',
    'Every event is on the Rewind bus with `detail-type` = the event name and `source` `rewind`',
    '(`RestoreRequested` may come from any source). Choreography events carry',
    '`run: { id, identifier, kind, task, strategy, plan, next }`.',
    '',
    '| event | producer | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  return files;
}
