/** EventBridge Scheduler's schedule names (kept short enough for Rewind to add a prefix). */
export const SCHEDULE_NAME = /^[A-Za-z0-9_.-]{1,40}$/;

/** cron(...), rate(N unit) or at(...): EventBridge Scheduler's expressions. */
export const SCHEDULE_EXPRESSION =
  /^(cron\(\S+( \S+){5}\)|rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;

export const EXPRESSION_FIX =
  'write cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 */12 * * ? *), rate(N minutes|hours|days), e.g. rate(12 hours), or at(yyyy-mm-ddThh:mm:ss)';
