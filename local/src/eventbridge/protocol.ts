/** AWS JSON 1.1 protocol: request decoding, typed member readers, responses and pagination. */
import type { LocalRequest, LocalResponse } from '../types';
import { EventsError, memberError } from './errors';

export type JsonObject = Record<string, unknown>;

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AWSEvents.';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Operation name and parsed body of an `X-Amz-Target: AWSEvents.<Op>` request. */
export function decodeRequest(req: LocalRequest): { op: string; input: JsonObject } {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
    throw new EventsError(
      'UnknownOperationException',
      'Expected a POST with X-Amz-Target: AWSEvents.<Operation>',
    );
  }
  const text = req.body.toString('utf8').trim();
  let input: unknown = {};
  if (text !== '') {
    try {
      input = JSON.parse(text);
    } catch {
      throw new EventsError('SerializationException', 'Request body is not valid JSON');
    }
  }
  if (!isObject(input)) throw new EventsError('SerializationException', 'Request body must be a JSON object');
  return { op: target.slice(TARGET_PREFIX.length), input };
}

export function okResponse(value: JsonObject = {}): LocalResponse {
  return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(value) };
}

export function errorResponse(err: EventsError): LocalResponse {
  return {
    status: err.status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-errortype': err.type },
    body: JSON.stringify({ __type: err.type, message: err.message }),
  };
}

/** JSON 1.1 timestamps travel as epoch seconds. */
export function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

function memberName(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

export function optString(input: JsonObject, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw memberError(memberName(key), v, 'Member must be a string');
  return v;
}

export function reqString(input: JsonObject, key: string): string {
  const v = optString(input, key);
  if (v === undefined) throw memberError(memberName(key), v, 'Member must not be null');
  return v;
}

export function optNumber(input: JsonObject, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw memberError(memberName(key), v, 'Member must be a number');
  return v;
}

export function optDate(input: JsonObject, key: string): Date | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  const d = typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw memberError(memberName(key), v, 'Member must be a timestamp');
  return d;
}

export function reqDate(input: JsonObject, key: string): Date {
  const d = optDate(input, key);
  if (!d) throw memberError(memberName(key), d, 'Member must not be null');
  return d;
}

function optArray(input: JsonObject, key: string): unknown[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw memberError(memberName(key), v, 'Member must be a list');
  return v;
}

export function optStringArray(input: JsonObject, key: string): string[] | undefined {
  const arr = optArray(input, key);
  if (arr && !arr.every((s): s is string => typeof s === 'string')) {
    throw memberError(memberName(key), arr, 'Member must be a list of strings');
  }
  return arr as string[] | undefined;
}

/** Checks a resource name against a length range and the allowed characters. */
export function checkName(key: string, value: string, max: number, allowed: RegExp): string {
  if (value.length < 1 || value.length > max) {
    throw memberError(memberName(key), value, `Member must have length between 1 and ${max}`);
  }
  if (!allowed.test(value)) {
    throw memberError(
      memberName(key),
      value,
      `Member must satisfy regular expression pattern: ${allowed.source}`,
    );
  }
  return value;
}

/** Offset-based NextToken pagination over an already ordered list. */
export function paginate<T>(items: readonly T[], input: JsonObject): { page: T[]; nextToken?: string } {
  const limit = optNumber(input, 'Limit') ?? 100;
  const token = optString(input, 'NextToken');
  const start = token === undefined ? 0 : Number.parseInt(Buffer.from(token, 'base64').toString('utf8'), 10);
  if (!Number.isInteger(start) || start < 0)
    throw memberError('nextToken', token, 'Member must be a valid token');
  const end = start + Math.max(1, Math.floor(limit));
  const page = items.slice(start, end);
  return end < items.length ? { page, nextToken: Buffer.from(String(end)).toString('base64') } : { page };
}
