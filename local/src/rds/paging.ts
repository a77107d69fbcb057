/** MaxRecords / Marker pagination as the describe calls do it (the marker is an opaque offset). */
import { err } from './errors';
import type { Params } from './protocol';

export function paginate<T>(p: Params, items: T[]): { items: T[]; marker?: string } {
  const max = p.int('MaxRecords') ?? 100;
  if (max < 20 || max > 100) throw err.value('MaxRecords must be between 20 and 100.');
  const marker = p.str('Marker');
  const start = marker === undefined ? 0 : Number(Buffer.from(marker, 'base64').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw err.value('Invalid Marker.');
  const page = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
  return next === undefined ? { items: page } : { items: page, marker: next };
}
