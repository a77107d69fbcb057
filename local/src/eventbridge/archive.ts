/** Archives: CreateArchive, DescribeArchive, ListArchives, DeleteArchive, and recording of events. */
import { alreadyExists, memberError, notFound } from './errors';
import type { Archive, EventEnvelope } from './model';
import { listPage, RESOURCE_NAME, sourceAndState, type Handlers } from './operations';
import { matchesPattern } from './pattern';
import { parsePattern } from './patternValidation';
import { checkName, epochSeconds, optNumber, optString, reqString, type JsonObject } from './protocol';
import type { EventBridgeState } from './state';

const DAY_MS = 86_400_000;

export class Archives {
  readonly byName = new Map<string, Archive>();

  constructor(private readonly state: EventBridgeState) {}

  get(name: string): Archive {
    const archive = this.byName.get(name);
    if (!archive) throw notFound(`Archive ${name} does not exist.`);
    return archive;
  }

  /** Archive ARN or name to archive. */
  byArn(arn: string): Archive {
    const prefix = this.state.arns.archive('');
    return this.get(arn.startsWith(prefix) ? arn.slice(prefix.length) : arn);
  }

  /** Stores an event accepted on a bus in every enabled archive of that bus whose pattern matches. */
  record(busArn: string, event: EventEnvelope): void {
    for (const archive of this.byName.values()) {
      if (archive.sourceArn !== busArn || archive.state !== 'ENABLED') continue;
      if (archive.eventPattern && !matchesPattern(archive.eventPattern, event)) continue;
      this.expire(archive);
      archive.events.push({ event, receivedAt: Date.now(), size: Buffer.byteLength(JSON.stringify(event)) });
      this.state.stats.archived++;
    }
  }

  /** Drops events older than the retention period (0 keeps them forever). */
  expire(archive: Archive): void {
    if (archive.retentionDays <= 0) return;
    const cutoff = Date.now() - archive.retentionDays * DAY_MS;
    const firstKept = archive.events.findIndex((e) => e.receivedAt >= cutoff);
    if (firstKept !== 0) archive.events.splice(0, firstKept === -1 ? archive.events.length : firstKept);
  }

  private summary(a: Archive): JsonObject {
    this.expire(a);
    return {
      ArchiveName: a.name,
      EventSourceArn: a.sourceArn,
      State: a.state,
      RetentionDays: a.retentionDays,
      SizeBytes: a.events.reduce((n, e) => n + e.size, 0),
      EventCount: a.events.length,
      CreationTime: epochSeconds(a.createdAt),
    };
  }

  operations(): Handlers {
    return {
      CreateArchive: (input) => {
        const name = checkName('ArchiveName', reqString(input, 'ArchiveName'), 48, RESOURCE_NAME);
        const bus = this.state.bus(reqString(input, 'EventSourceArn'));
        if (this.byName.has(name)) throw alreadyExists(`Archive ${name} already exists.`);
        const retentionDays = optNumber(input, 'RetentionDays') ?? 0;
        if (!Number.isInteger(retentionDays) || retentionDays < 0) {
          throw memberError(
            'retentionDays',
            retentionDays,
            'Member must have value greater than or equal to 0',
          );
        }
        const patternText = optString(input, 'EventPattern');
        const archive: Archive = {
          name,
          arn: this.state.arns.archive(name),
          sourceArn: bus.arn,
          description: optString(input, 'Description'),
          eventPatternText: patternText,
          eventPattern: patternText === undefined ? undefined : parsePattern(patternText),
          retentionDays,
          state: 'ENABLED',
          createdAt: new Date(),
          events: [],
        };
        this.byName.set(name, archive);
        return {
          ArchiveArn: archive.arn,
          State: archive.state,
          CreationTime: epochSeconds(archive.createdAt),
        };
      },

      DescribeArchive: (input) => {
        const a = this.get(reqString(input, 'ArchiveName'));
        return {
          ArchiveArn: a.arn,
          ...this.summary(a),
          ...(a.description === undefined ? {} : { Description: a.description }),
          ...(a.eventPatternText === undefined ? {} : { EventPattern: a.eventPatternText }),
        };
      },

      ListArchives: (input) =>
        listPage(this.byName.values(), input, 'Archives', (a) => this.summary(a), sourceAndState(input)),

      DeleteArchive: (input) => {
        const name = reqString(input, 'ArchiveName');
        this.get(name);
        this.byName.delete(name);
        return {};
      },
    };
  }
}
