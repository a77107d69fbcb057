/** Event pattern validation with AWS-style InvalidEventPatternException reasons. */
import { invalidPattern } from './errors';
import { parseCidr } from './ip';
import { isObject, type JsonObject } from './protocol';

const NUMERIC_LIMIT = 5e9;
const LOWER_OPS = new Set(['>', '>=']);
const UPPER_OPS = new Set(['<', '<=']);

function fail(reason: string): never {
  throw invalidPattern(reason);
}

function requireString(op: string, v: unknown): string {
  if (typeof v !== 'string') fail(`"${op}" match pattern must be a string`);
  return v;
}

function requireStringOrStrings(op: string, v: unknown): void {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) fail(`"${op}" list must not be empty`);
  for (const s of list) requireString(op, s);
}

function checkWildcard(w: string): void {
  for (let i = 0; i < w.length; i++) {
    const c = w.charAt(i);
    if (c === '\\') {
      const next = w.charAt(i + 1);
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i + 1} in wildcard "${w}"`);
      i++;
    } else if (c === '*' && w.charAt(i + 1) === '*') {
      fail(`Consecutive wildcard characters at pos ${i + 1} in wildcard "${w}"`);
    }
  }
}

/** `prefix` / `suffix` operand: a string or `{"equals-ignore-case": string}`. */
function checkAffix(op: string, v: unknown): void {
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      fail(`Unsupported "${op}" pattern: only "equals-ignore-case" may be nested`);
    }
    requireString('equals-ignore-case', v['equals-ignore-case']);
    return;
  }
  requireString(op, v);
}

function checkNumber(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('Value of numeric match must be a number');
  if (Math.abs(v) > NUMERIC_LIMIT) fail(`Value ${v} is out of range [-5.0E9, 5.0E9] for numeric match`);
  return v;
}

function checkNumeric(spec: unknown): void {
  if (!Array.isArray(spec) || (spec.length !== 2 && spec.length !== 4)) {
    fail('"numeric" must be an array of one or two [operator, number] pairs');
  }
  const [op1, n1, op2, n2] = spec as unknown[];
  const ops = new Set([...LOWER_OPS, ...UPPER_OPS, '=']);
  if (typeof op1 !== 'string' || !ops.has(op1)) fail(`Unrecognized numeric range operator: ${String(op1)}`);
  const low = checkNumber(n1);
  if (spec.length === 2) return;
  if (!LOWER_OPS.has(op1))
    fail(`Bad numeric range: "${op1}" must be ">" or ">=" when followed by an upper bound`);
  if (typeof op2 !== 'string' || !UPPER_OPS.has(op2))
    fail(`Bad numeric range: upper bound operator must be "<" or "<="`);
  if (checkNumber(n2) <= low) fail('Bad numeric range: bottom must be less than top');
}

function checkAnythingBut(v: unknown): void {
  if (typeof v === 'string') return;
  if (typeof v === 'number') return void checkNumber(v);
  if (Array.isArray(v)) {
    if (v.length === 0) fail('"anything-but" list must not be empty');
    const allStrings = v.every((x) => typeof x === 'string');
    const allNumbers = v.every((x) => typeof x === 'number');
    if (!allStrings && !allNumbers)
      fail('Inside anything-but list, only all strings or all numbers are supported');
    return;
  }
  if (!isObject(v)) fail('Value of anything-but must be a string, number, list or an object');
  const keys = Object.keys(v);
  const [key] = keys;
  if (keys.length !== 1) fail('"anything-but" object must have exactly one key');
  const operand = v[key as string];
  switch (key) {
    case 'prefix':
    case 'suffix':
      if (requireString(key, operand) === '') fail(`Empty "${key}" is not allowed inside anything-but`);
      return;
    case 'equals-ignore-case':
      return requireStringOrStrings(key, operand);
    case 'wildcard':
      requireStringOrStrings(key, operand);
      for (const w of Array.isArray(operand) ? operand : [operand]) checkWildcard(w as string);
      return;
    default:
      fail(`Unsupported anything-but pattern: ${String(key)}`);
  }
}

function checkOperator(op: JsonObject): void {
  const keys = Object.keys(op);
  if (keys.length !== 1) fail(`Match object must have exactly one operator, found ${keys.length}`);
  const name = keys[0] as string;
  const operand = op[name];
  switch (name) {
    case 'prefix':
    case 'suffix':
      return checkAffix(name, operand);
    case 'equals-ignore-case':
      return void requireString(name, operand);
    case 'wildcard':
      return checkWildcard(requireString(name, operand));
    case 'exists':
      if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false.');
      return;
    case 'numeric':
      return checkNumeric(operand);
    case 'cidr':
      if (parseCidr(requireString(name, operand)) === undefined)
        fail(`Nonstandard IP address: ${String(operand)}`);
      return;
    case 'anything-but':
      return checkAnythingBut(operand);
    default:
      fail(`Unrecognized match type ${name}`);
  }
}

function checkLeafArray(key: string, values: unknown[]): void {
  if (values.length === 0) fail(`Empty arrays are not allowed (field "${key}")`);
  for (const v of values) {
    if (Array.isArray(v)) fail(`Match value must be String, number, true, false, or null (field "${key}")`);
    if (isObject(v)) checkOperator(v);
  }
}

function checkObject(obj: JsonObject, path: string): void {
  const entries = Object.entries(obj);
  if (entries.length === 0) fail(path === '' ? 'Empty objects are not allowed' : `Empty object at "${path}"`);
  for (const [key, value] of entries) {
    const here = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) fail('"$or" must be an array of at least two patterns');
      for (const alt of value) {
        if (!isObject(alt)) fail('Every "$or" alternative must be an object');
        checkObject(alt, path);
      }
    } else if (Array.isArray(value)) {
      checkLeafArray(here, value);
    } else if (isObject(value)) {
      checkObject(value, here);
    } else {
      fail(`"${here}" must be an object or an array`);
    }
  }
}

/** Throws InvalidEventPatternException when `pattern` is not a valid parsed event pattern. */
export function validatePattern(pattern: unknown): asserts pattern is JsonObject {
  if (!isObject(pattern)) fail('Filter is not an object');
  checkObject(pattern, '');
}

/** Parses pattern JSON text and validates it. */
export function parsePattern(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(`Filter is not valid JSON: ${(e as Error).message}`);
  }
  validatePattern(parsed);
  return parsed;
}
