/**
 * The RDS query protocol: form-encoded parameters in, XML out.
 * Lists arrive as `Name.member.N` (AWS CLI) or `Name.<MemberXmlName>.N` (SDK v3); both are accepted.
 */
import { randomUUID } from 'node:crypto';
import type { LocalResponse } from '../types';
import { RdsError } from './errors';

const RDS_XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';

export interface Filter {
  name: string;
  values: string[];
}

export class Params {
  private readonly p: URLSearchParams;

  constructor(body: string | URLSearchParams) {
    this.p = typeof body === 'string' ? new URLSearchParams(body) : body;
  }

  get action(): string {
    return this.p.get('Action') ?? '';
  }

  has(name: string): boolean {
    return this.p.has(name);
  }

  str(name: string): string | undefined {
    return this.p.get(name) ?? undefined;
  }

  req(name: string): string {
    const v = this.p.get(name);
    if (v === null || v === '') {
      throw new RdsError('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return v;
  }

  int(name: string): number | undefined {
    const v = this.p.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new RdsError('InvalidParameterValue', `Invalid value ${v} for ${name}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.p.get(name);
    if (v === null) return undefined;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new RdsError('InvalidParameterValue', `Invalid boolean value ${v} for ${name}`);
  }

  date(name: string): Date | undefined {
    const v = this.p.get(name);
    if (v === null) return undefined;
    const d = /^\d+(\.\d+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
    if (Number.isNaN(d.getTime()))
      throw new RdsError('InvalidParameterValue', `Invalid date ${v} for ${name}`);
    return d;
  }

  /** A list of scalars, or undefined when absent. */
  list(name: string): string[] | undefined {
    const re = new RegExp(`^${escapeRe(name)}\\.(?:[A-Za-z]+\\.)?(\\d+)$`);
    const found: [number, string][] = [];
    for (const [k, v] of this.p) {
      const m = re.exec(k);
      if (m) found.push([Number(m[1]), v]);
    }
    if (found.length === 0) return this.p.has(name) ? [] : undefined;
    return found.sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  /** A list of structures (`Tags.Tag.1.Key`), each as a map of its remaining key path to value. */
  structList(name: string): Record<string, string>[] | undefined {
    const re = new RegExp(`^${escapeRe(name)}\\.(?:[A-Za-z]+\\.)?(\\d+)\\.(.+)$`);
    const byIndex = new Map<number, Record<string, string>>();
    for (const [k, v] of this.p) {
      const m = re.exec(k);
      if (!m) continue;
      const i = Number(m[1]);
      const entry = byIndex.get(i) ?? {};
      entry[m[2] as string] = v;
      byIndex.set(i, entry);
    }
    if (byIndex.size === 0) return this.p.has(name) ? [] : undefined;
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  tags(name = 'Tags'): { Key: string; Value: string }[] | undefined {
    return this.structList(name)?.map((t) => ({ Key: t['Key'] ?? '', Value: t['Value'] ?? '' }));
  }

  filters(): Filter[] {
    return (this.structList('Filters') ?? []).map((f) => ({
      name: f['Name'] ?? '',
      values: Object.entries(f)
        .filter(([k]) => /^Values\.(?:[A-Za-z]+\.)?\d+$/.test(k))
        .sort((a, b) => Number(a[0].split('.').pop()) - Number(b[0].split('.').pop()))
        .map(([, v]) => v),
    }));
  }

  /** A nested structure parameter (`ServerlessV2ScalingConfiguration.MinCapacity`). */
  struct(name: string): Record<string, string> | undefined {
    const prefix = `${name}.`;
    const out: Record<string, string> = {};
    let any = false;
    for (const [k, v] of this.p) {
      if (k.startsWith(prefix)) {
        out[k.slice(prefix.length)] = v;
        any = true;
      }
    }
    return any ? out : undefined;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A list rendered as `<Name><Member>..</Member>...</Name>`. */
export class XmlList {
  constructor(
    readonly member: string,
    readonly items: readonly unknown[],
  ) {}
}

export type XmlValue = string | number | boolean | Date | null | undefined | XmlList | XmlObject;
export interface XmlObject {
  [key: string]: XmlValue;
}

/** Items are XmlValues; plain interfaces (Tag, ProcessorFeature, ...) are accepted as objects. */
export function xmlList(member: string, items: readonly unknown[] | undefined): XmlList | undefined {
  return items === undefined ? undefined : new XmlList(member, items);
}

function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

function inner(value: XmlValue): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlList) return value.items.map((i) => element(value.member, i as XmlValue)).join('');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => element(k, v))
      .join('');
  }
  return escapeXml(String(value));
}

function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${inner(value)}</${name}>`;
}

export function newRequestId(): string {
  return randomUUID();
}

/** A query-protocol answer; `xmlns` is the service's namespace (RDS by default; ElastiCache reuses this). */
export function xmlResponse(
  action: string,
  result: XmlObject | undefined,
  requestId: string,
  xmlns = RDS_XMLNS,
): LocalResponse {
  const body =
    `<${action}Response xmlns="${xmlns}">` +
    (result === undefined ? '' : element(`${action}Result`, result)) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-RequestId': requestId }, body };
}

export function errorResponse(err: RdsError, requestId: string, xmlns = RDS_XMLNS): LocalResponse {
  const body =
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${err.type}</Type><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: err.status, headers: { 'content-type': 'text/xml', 'x-amzn-RequestId': requestId }, body };
}
