import type { z } from 'zod';
import { ContractError } from '../errors';
import { EVENT_NAMES, EVENT_SCHEMAS, type EventDetail, type EventName } from './events';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: string[]; message: string };

/** Turns zod issues into "path: message" lines a person can act on. */
function formatIssues(error: z.ZodError, input?: unknown): string[] {
  const valueAt = (path: PropertyKey[]) =>
    path.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
      input,
    );
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      return `${path}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling`;
    }
    if (issue.path.length && valueAt(issue.path) === undefined && issue.code !== 'custom')
      return `${path}: is required`;
    return `${path}: ${issue.message}`;
  });
}

export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as string[]).includes(name);
}

/** Validates a payload against its event contract; never throws. */
export function parseEvent<N extends EventName>(name: N, detail: unknown): ParseResult<EventDetail<N>> {
  const result = EVENT_SCHEMAS[name].safeParse(detail);
  if (result.success) return { ok: true, value: result.data as EventDetail<N> };
  const issues = formatIssues(result.error, detail);
  return { ok: false, issues, message: `Invalid ${name}: ${issues.join('; ')}` };
}

/** Validates a payload; throws ContractError listing every problem. */
export function parseEventOrThrow<N extends EventName>(name: N, detail: unknown): EventDetail<N> {
  const result = parseEvent(name, detail);
  if (!result.ok) throw new ContractError(name, result.issues);
  return result.value;
}
