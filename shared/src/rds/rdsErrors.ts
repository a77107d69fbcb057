/**
 * Classifies errors from the RDS API: throttling and transient faults are retried (the message goes
 * back to the queue); anything else is a step failure with a reason a person can act on.
 */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const TRANSIENT = new Set(['InternalFailure', 'ServiceUnavailable', 'InternalServerError', 'TimeoutError']);

export function errorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string } | undefined;
  return e?.name ?? e?.Code ?? e?.code ?? 'Error';
}

/** Whether the error name matches an RDS error code, with or without the SDK's `Fault` suffix. */
export function isRdsError(err: unknown, code: string): boolean {
  const name = errorName(err);
  return (
    name === code || name === `${code}Fault` || name.replace(/Fault$/, '') === code.replace(/Fault$/, '')
  );
}

export function isRetryable(err: unknown): boolean {
  const name = errorName(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return THROTTLING.has(name) || TRANSIENT.has(name) || (status !== undefined && status >= 500);
}

export function describeError(err: unknown): string {
  return `${errorName(err)}: ${(err as Error)?.message ?? String(err)}`;
}
