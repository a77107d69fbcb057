/**
 * AWS JSON 1.1 services (`X-Amz-Target: <Prefix>.<Operation>`, JSON body, errors as `__type`): the
 * dispatch every such emulator shares. A handler gets the parsed input and the caller, and returns the
 * output, or throws a `JsonServiceError` that becomes AWS's error shape.
 */
import { resolveCaller, type IdentityOptions } from './identity';
import { jsonResponse } from '../http';
import type { CallerIdentity, LocalRequest, LocalResponse } from '../types';

export type JsonInput = Record<string, unknown>;
export type JsonHandler = (input: JsonInput, caller: CallerIdentity) => JsonInput | Promise<JsonInput>;

export class JsonServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** A string field of the input (`required`: a ValidationException names the missing field). */
export function inputString(input: JsonInput, name: string, required = false): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (required)
      throw new JsonServiceError('ValidationException', `1 validation error detected: ${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new JsonServiceError('ValidationException', `${name} must be a string`);
  return v;
}

export function jsonProtocol(opts: {
  /** X-Amz-Target prefix, e.g. `TrentService`, `secretsmanager`. */
  prefix: string;
  /** How the service calls itself in errors, e.g. "the local KMS". */
  label: string;
  handlers: Record<string, JsonHandler>;
  identity: IdentityOptions;
}): (req: LocalRequest) => Promise<LocalResponse> {
  const prefix = `${opts.prefix}.`;
  return async (req) => {
    const headers = { 'content-type': CONTENT_TYPE };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(prefix) ? target.slice(prefix.length) : '';
      const handler = Object.hasOwn(opts.handlers, op) ? opts.handlers[op] : undefined;
      if (!handler) {
        throw new JsonServiceError(
          'UnsupportedOperationException',
          `Operation ${op || '(none)'} is not supported by ${opts.label}. Supported: ${Object.keys(opts.handlers).join(', ')}.`,
        );
      }
      let input: unknown = {};
      const text = req.body.toString('utf8').trim();
      if (text !== '') {
        try {
          input = JSON.parse(text);
        } catch {
          throw new JsonServiceError('SerializationException', 'Request body is not valid JSON');
        }
      }
      return jsonResponse(200, await handler(input as JsonInput, resolveCaller(req, opts.identity)), headers);
    } catch (e) {
      if (e instanceof JsonServiceError) {
        return jsonResponse(
          e.status,
          { __type: e.type, message: e.message },
          { ...headers, 'x-amzn-errortype': e.type },
        );
      }
      throw e;
    }
  };
}
