/** PutEvents: request limits, per-entry validation and hand-off to the router. */
import { memberError, validation } from './errors';
import { entrySize, makeEnvelope } from './envelope';
import type { EventEnvelope } from './model';
import type { Handlers } from './operations';
import { isObject, optDate, optString, optStringArray, type JsonObject } from './protocol';
import type { Router } from './router';
import type { EventBridgeState } from './state';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const MAX_DETAIL_TYPE = 128;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function required(name: string): EntryResult {
  return {
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
  };
}

function parseDetail(text: string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Validates one entry; returns the envelope to route and its bus, or the per-entry error. */
function prepare(state: EventBridgeState, raw: unknown): EntryResult | { event: EventEnvelope; bus: string } {
  if (!isObject(raw)) return required('Source');
  const source = optString(raw, 'Source');
  const detailType = optString(raw, 'DetailType');
  const detailText = optString(raw, 'Detail');
  if (source === undefined || source === '') return required('Source');
  if (detailType === undefined || detailType === '') return required('DetailType');
  if (detailText === undefined) return required('Detail');
  if (detailType.length > MAX_DETAIL_TYPE) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter DetailType is not valid. Reason: DetailType exceeds the maximum length of ${MAX_DETAIL_TYPE}.`,
    };
  }
  const detail = parseDetail(detailText);
  if (!detail) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const busName = state.arns.busNameOf(optString(raw, 'EventBusName') ?? 'default');
  if (busName === undefined || !state.buses.has(busName)) {
    return {
      ErrorCode: 'ResourceNotFoundException',
      ErrorMessage: `Event bus ${busName ?? String(raw['EventBusName'])} does not exist.`,
    };
  }
  const event = makeEnvelope(
    state.identity,
    {
      source,
      detailType,
      detail,
      resources: optStringArray(raw, 'Resources'),
      time: optDate(raw, 'Time'),
    },
    state.clock.date(),
  );
  return { event, bus: busName };
}

export function putEventsOperation(state: EventBridgeState, router: Router): Handlers {
  return {
    PutEvents(input) {
      const entries = input['Entries'];
      if (!Array.isArray(entries) || entries.length < 1) {
        throw memberError('entries', undefined, 'Member must have length greater than or equal to 1');
      }
      if (entries.length > MAX_ENTRIES) {
        throw memberError('entries', '[...]', `Member must have length less than or equal to ${MAX_ENTRIES}`);
      }
      const total = entries.reduce<number>((n, e) => {
        if (!isObject(e)) return n;
        const text = (k: string): string | undefined =>
          typeof e[k] === 'string' ? (e[k] as string) : undefined;
        const resources = Array.isArray(e['Resources']) ? e['Resources'].map(String) : undefined;
        return (
          n +
          entrySize({
            source: text('Source'),
            detailType: text('DetailType'),
            detail: text('Detail'),
            resources,
          })
        );
      }, 0);
      if (total > MAX_REQUEST_BYTES)
        throw validation('Total size of the entries in the request is over the limit.');

      const results: EntryResult[] = entries.map((raw) => {
        const prepared = prepare(state, raw);
        if (!('event' in prepared)) return prepared;
        router.route(prepared.bus, prepared.event);
        return { EventId: prepared.event.id };
      });
      const failed = results.filter((r) => 'ErrorCode' in r).length;
      state.stats.entriesAccepted += results.length - failed;
      state.stats.entriesFailed += failed;
      return { FailedEntryCount: failed, Entries: results };
    },
  };
}
