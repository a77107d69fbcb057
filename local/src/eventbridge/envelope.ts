/** Building the EventBridge event envelope. */
import { randomUUID } from 'node:crypto';
import type { LocalIdentity } from '../types';
import type { EventEnvelope } from './model';
import type { JsonObject } from './protocol';

/** ISO-8601 with seconds precision, as EventBridge writes `time`: `2018-09-27T22:36:43Z`. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface EnvelopeFields {
  source: string;
  detailType: string;
  detail: JsonObject;
  resources?: string[];
  time?: Date;
}

export function makeEnvelope(identity: LocalIdentity, f: EnvelopeFields, now: Date): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': f.detailType,
    source: f.source,
    account: identity.accountId,
    time: isoSeconds(f.time ?? now),
    region: identity.region,
    resources: f.resources ?? [],
    detail: f.detail,
  };
}

/** Size of a PutEvents entry as AWS counts it: fixed 14 bytes for Time plus the UTF-8 text fields. */
export function entrySize(e: {
  source?: string;
  detailType?: string;
  detail?: string;
  resources?: string[];
}): number {
  const bytes = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    14 +
    bytes(e.source) +
    bytes(e.detailType) +
    bytes(e.detail) +
    (e.resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}
