/** Shared shapes for operation handlers and name constraints. */
import { optString, paginate, type JsonObject } from './protocol';

type Handler = (input: JsonObject) => JsonObject | Promise<JsonObject>;
export type Handlers = Record<string, Handler>;

export const BUS_NAME = /^[/.\-_A-Za-z0-9]+$/;
export const BUS_NAME_OR_ARN =
  /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/;
export const RESOURCE_NAME = /^[.\-_A-Za-z0-9]+$/;

/**
 * A `List*` answer: items whose name starts with `NamePrefix` and pass `keep`, sorted by name, one page
 * of them rendered under `key`, plus `NextToken` when more remain.
 */
export function listPage<T extends { name: string }>(
  items: Iterable<T>,
  input: JsonObject,
  key: string,
  render: (item: T) => JsonObject,
  keep: (item: T) => boolean = () => true,
): JsonObject {
  const prefix = optString(input, 'NamePrefix') ?? '';
  const sorted = [...items]
    .filter((i) => i.name.startsWith(prefix) && keep(i))
    .sort((a, b) => a.name.localeCompare(b.name));
  const { page, nextToken } = paginate(sorted, input);
  return { [key]: page.map(render), ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** Filter for `EventSourceArn` / `State` members of ListArchives and ListReplays. */
export function sourceAndState(input: JsonObject): (item: { sourceArn: string; state: string }) => boolean {
  const source = optString(input, 'EventSourceArn');
  const state = optString(input, 'State');
  return (i) =>
    (source === undefined || i.sourceArn === source) && (state === undefined || i.state === state);
}
