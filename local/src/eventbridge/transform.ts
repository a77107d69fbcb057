/** Target input: the whole event, constant `Input`, `InputPath`, or `InputTransformer`. */
import type { EventEnvelope, Rule, Target } from './model';
import { isObject } from './protocol';

/** Resolves a simple JSONPath (`$`, `$.a.b`, `$.a[0].b`, `$['a-b']`) against a value. */
function resolvePath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  const segments: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  let consumed = 1;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m.index !== consumed) return undefined;
    consumed = m.index + m[0].length;
    segments.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? m[4] ?? ''));
  }
  if (consumed !== path.length) return undefined;
  let cur: unknown = root;
  for (const seg of segments) {
    if (typeof seg === 'number' && Array.isArray(cur)) cur = cur[seg];
    else if (typeof seg === 'string' && isObject(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

/** True when `offset` lies inside a JSON string literal of `text`. */
function insideString(text: string, offset: number): boolean {
  let inString = false;
  for (let i = 0; i < offset; i++) {
    const c = text.charAt(i);
    if (inString && c === '\\') i++;
    else if (c === '"') inString = !inString;
  }
  return inString;
}

/**
 * Replaces `<name>` placeholders. In a JSON template a placeholder inside a string literal takes the raw
 * (escaped) text, elsewhere the JSON value; in a plain-text template strings go in raw.
 */
function fillTemplate(template: string, values: Record<string, unknown>): string {
  const jsonTemplate = /^\s*[[{]/.test(template);
  return template.replace(/<([A-Za-z0-9_.-]+)>/g, (whole, name: string, offset: number) => {
    if (!Object.hasOwn(values, name)) return whole;
    const v = values[name];
    const quoted = jsonTemplate && insideString(template, offset);
    if (typeof v === 'string') {
      if (!jsonTemplate) return v;
      return quoted ? JSON.stringify(v).slice(1, -1) : JSON.stringify(v);
    }
    const json = JSON.stringify(v ?? null);
    return quoted ? JSON.stringify(json).slice(1, -1) : json;
  });
}

export function targetBody(target: Target, rule: Rule, event: EventEnvelope): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(resolvePath(event, target.inputPath) ?? null);
  const t = target.inputTransformer;
  if (!t) return JSON.stringify(event);
  const values: Record<string, unknown> = {
    'aws.events.rule-arn': rule.arn,
    'aws.events.rule-name': rule.name,
    'aws.events.event.json': event,
    'aws.events.event.ingestion-time': event.time,
  };
  for (const [name, path] of Object.entries(t.inputPathsMap)) values[name] = resolvePath(event, path);
  return fillTemplate(t.inputTemplate, values);
}
