/** Errors raised by the local cloud itself (not by the emulated services, which answer AWS-style errors). */
export class LocalCloudError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

function describeCause(cause: unknown): string {
  const e = cause as { code?: string; message?: string } | undefined;
  if (e?.code === 'MODULE_NOT_FOUND') return (e.message ?? '').split('\n')[0] ?? 'module not found';
  return String(e?.message ?? cause);
}

/** A function's handler could not be loaded from its module path. */
export class HandlerLoadError extends LocalCloudError {
  constructor(
    readonly functionName: string,
    readonly handler: string,
    cause: unknown,
  ) {
    super(
      `Cannot load handler "${handler}" of function ${functionName}: ${describeCause(cause)}. ` +
        'A handler is "<module path from the repository root, no extension>.<exported function>".',
      { cause },
    );
  }
}

/** A spawned local cloud did not become ready. */
export class SpawnError extends LocalCloudError {}

/** An admin API call answered with an error status. */
export class AdminRequestError extends LocalCloudError {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${body.slice(0, 500)}`);
  }
}

/** Provisioning a resource failed. */
export class ProvisionError extends LocalCloudError {
  constructor(resource: string, cause: unknown) {
    super(`Provisioning ${resource} failed: ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
}
