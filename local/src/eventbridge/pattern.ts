/**
 * EventBridge event pattern matching. Patterns are assumed valid (see patternValidation.ts).
 *
 * Semantics (AWS / event-ruler): keys are ANDed, the values in a leaf array are ORed, `$or` ORs whole
 * sub-patterns. Only leaf values (strings, numbers, booleans, null) are matched by the operators; an array
 * in the event matches when any of its elements matches, and a nested pattern matches an array of objects
 * when one element matches the whole sub-pattern. A field that is absent (or has no leaf values, e.g. an
 * object or an empty array) matches nothing except `{"exists": false}`.
 */
import { cidrContains, parseCidr, parseIp } from './ip';
import { isObject, type JsonObject } from './protocol';

type Leaf = string | number | boolean | null;

const wildcardCache = new Map<string, RegExp>();

/** `*` matches any run of characters, `\*` a literal star; the whole value must match. */
function wildcardRegex(wildcard: string): RegExp {
  let re = wildcardCache.get(wildcard);
  if (!re) {
    let src = '';
    for (let i = 0; i < wildcard.length; i++) {
      const c = wildcard.charAt(i);
      if (c === '\\' && i + 1 < wildcard.length) src += escapeRegex(wildcard.charAt(++i));
      else src += c === '*' ? '.*' : escapeRegex(c);
    }
    re = new RegExp(`^${src}$`, 's');
    if (wildcardCache.size > 10_000) wildcardCache.clear();
    wildcardCache.set(wildcard, re);
  }
  return re;
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function leafValues(value: unknown, out: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) for (const v of value) leafValues(v, out);
  else if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    out.push(value);
  }
  return out;
}

/** A string operand that may be wrapped as `{"equals-ignore-case": s}`. */
function caseOperand(operand: unknown): { text: string; ignoreCase: boolean } {
  if (isObject(operand)) return { text: String(operand['equals-ignore-case']), ignoreCase: true };
  return { text: String(operand), ignoreCase: false };
}

function startsOrEnds(operand: unknown, v: Leaf, atStart: boolean): boolean {
  if (typeof v !== 'string') return false;
  const { text, ignoreCase } = caseOperand(operand);
  const subject = ignoreCase ? v.toLowerCase() : v;
  const needle = ignoreCase ? text.toLowerCase() : text;
  return atStart ? subject.startsWith(needle) : subject.endsWith(needle);
}

function asList(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [x];
}

function equalsIgnoreCase(operand: unknown, v: Leaf): boolean {
  return typeof v === 'string' && asList(operand).some((s) => String(s).toLowerCase() === v.toLowerCase());
}

function wildcardMatch(operand: unknown, v: Leaf): boolean {
  return typeof v === 'string' && asList(operand).some((w) => wildcardRegex(String(w)).test(v));
}

function numericMatch(spec: unknown[], v: Leaf): boolean {
  if (typeof v !== 'number') return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const bound = spec[i + 1] as number;
    const ok =
      spec[i] === '<'
        ? v < bound
        : spec[i] === '<='
          ? v <= bound
          : spec[i] === '='
            ? v === bound
            : spec[i] === '>'
              ? v > bound
              : v >= bound;
    if (!ok) return false;
  }
  return true;
}

function cidrMatch(operand: unknown, v: Leaf): boolean {
  if (typeof v !== 'string') return false;
  const block = parseCidr(String(operand));
  const ip = parseIp(v);
  return block !== undefined && ip !== undefined && cidrContains(block, ip);
}

function anythingBut(operand: unknown, v: Leaf): boolean {
  if (!isObject(operand)) return !asList(operand).some((x) => x === v);
  if ('prefix' in operand) return typeof v === 'string' && !startsOrEnds(operand['prefix'], v, true);
  if ('suffix' in operand) return typeof v === 'string' && !startsOrEnds(operand['suffix'], v, false);
  if ('equals-ignore-case' in operand) {
    return typeof v === 'string' && !equalsIgnoreCase(operand['equals-ignore-case'], v);
  }
  if ('wildcard' in operand) return typeof v === 'string' && !wildcardMatch(operand['wildcard'], v);
  return false;
}

function operatorMatch(op: JsonObject, v: Leaf): boolean {
  const [name, operand] = Object.entries(op)[0] ?? [];
  switch (name) {
    case 'prefix':
      return startsOrEnds(operand, v, true);
    case 'suffix':
      return startsOrEnds(operand, v, false);
    case 'equals-ignore-case':
      return equalsIgnoreCase(operand, v);
    case 'wildcard':
      return wildcardMatch(operand, v);
    case 'numeric':
      return Array.isArray(operand) && numericMatch(operand, v);
    case 'cidr':
      return cidrMatch(operand, v);
    case 'anything-but':
      return anythingBut(operand, v);
    default:
      return false;
  }
}

function conditionMatch(condition: unknown, values: Leaf[]): boolean {
  if (isObject(condition)) {
    if ('exists' in condition) return condition['exists'] === true ? values.length > 0 : values.length === 0;
    return values.some((v) => operatorMatch(condition, v));
  }
  return values.some((v) => v === condition);
}

function fieldMatch(patternValue: unknown, eventValue: unknown): boolean {
  if (Array.isArray(patternValue)) {
    const values = leafValues(eventValue);
    return patternValue.some((c) => conditionMatch(c, values));
  }
  if (!isObject(patternValue)) return false;
  if (Array.isArray(eventValue)) {
    if (eventValue.length === 0) return objectMatch(patternValue, undefined);
    return eventValue.some((el) => fieldMatch(patternValue, el));
  }
  return objectMatch(patternValue, eventValue);
}

function objectMatch(pattern: JsonObject, event: unknown): boolean {
  const fields = isObject(event) ? event : undefined;
  for (const [key, patternValue] of Object.entries(pattern)) {
    if (key === '$or') {
      if (
        !Array.isArray(patternValue) ||
        !patternValue.some((alt) => isObject(alt) && objectMatch(alt, event))
      ) {
        return false;
      }
      continue;
    }
    const eventValue = fields && Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!fieldMatch(patternValue, eventValue)) return false;
  }
  return true;
}

/** True when `event` (a parsed event envelope) matches `pattern` (a parsed, valid event pattern). */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return isObject(pattern) && objectMatch(pattern, event);
}
