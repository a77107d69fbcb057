/** Shared shapes for operation handlers and name constraints. */
import type { JsonObject } from './protocol';

export type Handler = (input: JsonObject) => JsonObject | Promise<JsonObject>;
export type Handlers = Record<string, Handler>;

export const BUS_NAME = /^[/.\-_A-Za-z0-9]+$/;
export const BUS_NAME_OR_ARN =
  /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/;
export const RESOURCE_NAME = /^[.\-_A-Za-z0-9]+$/;
