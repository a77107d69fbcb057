import { EVENT_DOCS, EVENT_NAMES, eventJsonSchema, isEventName, resourceNames } from '@rewind/shared';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { parseCommand } from '../options';
import { Output } from '../output';

const USAGE = `Usage: rewind events [--schema NAME] [--json]

  The event catalog for systems hooked onto the Rewind bus: each event's name (its detail-type),
  producer and meaning. --schema NAME prints the JSON Schema of one event's detail.`;

export const eventsCommand: Command = {
  name: 'events',
  summary: 'The event catalog (--schema NAME: one JSON Schema)',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommand(args, { schema: { type: 'string' } }, USAGE, { min: 0, max: 0 });
    const out = new Output(io, values.json === true);
    if (values.schema !== undefined) {
      if (!isEventName(values.schema)) {
        throw new UsageError(`unknown event "${values.schema}"; known: ${EVENT_NAMES.join(', ')}`, USAGE);
      }
      // A schema is JSON either way.
      io.stdout.write(`${JSON.stringify(eventJsonSchema(values.schema), null, 2)}\n`);
      return 0;
    }
    const rows = EVENT_NAMES.map((name) => ({ name, ...EVENT_DOCS[name] }));
    out.table(rows, [
      { header: 'EVENT', value: (r) => r.name },
      { header: 'PRODUCER', value: (r) => r.producer },
      { header: 'MEANING', value: (r) => r.meaning },
    ]);
    out.line();
    out.line(
      `On the bus ${resourceNames(values.prefix).busName} (deployed: rewind-<stage>): detail-type = the event name,`,
    );
    out.line('source "rewind" (RestoreRequested: any client). Match one with the pattern');
    out.line('  {"source": ["rewind"], "detail-type": ["RunFailed"]}');
    out.line('Schemas: rewind events --schema NAME (also in docs/events/).');
    out.document({ events: rows });
    return 0;
  },
};
