/** EventBridge API errors, rendered by the protocol layer as `{"__type", "message"}` with a status. */
export class EventsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export function notFound(message: string): EventsError {
  return new EventsError('ResourceNotFoundException', message);
}

export function alreadyExists(message: string): EventsError {
  return new EventsError('ResourceAlreadyExistsException', message);
}

export function validation(message: string): EventsError {
  return new EventsError('ValidationException', message);
}

export function invalidPattern(reason: string): EventsError {
  return new EventsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
}

export function busNotFound(name: string): EventsError {
  return notFound(`Event bus ${name} does not exist.`);
}

export function ruleNotFound(rule: string, bus: string): EventsError {
  return notFound(`Rule ${rule} does not exist on EventBus ${bus}.`);
}

/** "1 validation error detected" style message for a missing or malformed member. */
export function memberError(member: string, value: unknown, constraint: string): EventsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return validation(
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
