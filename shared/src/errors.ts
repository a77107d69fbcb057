/**
 * Typed errors shared by every service. Each says what went wrong, with which resource, and what to do.
 * Callers recognise them with `instanceof` or by `code`.
 */
export class RewindError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that does not satisfy an event contract. `issues` lists each problem as "path: message". */
export class ContractError extends RewindError {
  constructor(
    readonly eventName: string,
    readonly issues: string[],
  ) {
    super('ContractViolation', `Invalid ${eventName}: ${issues.join('; ')}`);
  }
}

/** A conditional write lost: someone else advanced the item first (duplicate or late message). */
export class StaleWriteError extends RewindError {
  constructor(
    readonly key: string,
    readonly expectedVersion: number | 'absent',
    options?: { cause?: unknown },
  ) {
    super(
      'StaleWrite',
      expectedVersion === 'absent'
        ? `${key} already exists`
        : `${key} changed since version ${expectedVersion} was read; another message advanced it first`,
      options,
    );
  }
}

/** Another run holds the lock on this database. */
export class LockHeldError extends RewindError {
  constructor(
    readonly lockKey: string,
    readonly holderRunId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'LockHeld',
      `${lockKey} is locked by run ${holderRunId ?? '(unknown)'}; wait for it to finish ` +
        `(rewind status ${holderRunId ?? '<run-id>'}) before starting another run on this database`,
      options,
    );
  }
}

export interface UnpublishedEntry {
  detailType: string;
  runId?: string;
  errorCode: string;
  errorMessage: string;
}

/** Some events could not be put on the bus, even after retries. */
export class PublishError extends RewindError {
  constructor(
    readonly busName: string,
    readonly unpublished: UnpublishedEntry[],
    options?: { cause?: unknown },
  ) {
    super(
      'PublishFailed',
      `${unpublished.length} event(s) not published to bus ${busName}: ` +
        unpublished
          .map(
            (u) => `${u.detailType}${u.runId ? ` (run ${u.runId})` : ''}: ${u.errorCode} ${u.errorMessage}`,
          )
          .join('; '),
      options,
    );
  }
}
