import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

/** Options every command that talks to Rewind takes. */
const TARGET_OPTIONS = {
  endpoint: { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  prefix: { type: 'string' },
  stage: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export const TARGET_USAGE = `Target (every command):
  --endpoint URL   an AWS-compatible endpoint; default: $AWS_ENDPOINT_URL if set, else the local cloud at
                   http://127.0.0.1:4566 when it answers, else AWS
  --profile NAME   AWS profile (implies AWS)      --region NAME   AWS region (implies AWS)
  --stage NAME     deployed stage: prefix rewind-<stage> (implies AWS unless an endpoint is given; default dev)
  --prefix NAME    resource prefix (default rewind-local on an endpoint, rewind-<stage> on AWS)
  --json           one machine-readable JSON document on stdout`;

export interface TargetOptions {
  endpoint?: string;
  profile?: string;
  region?: string;
  prefix?: string;
  stage?: string;
  json?: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the target options added; unknown options and a wrong positional count are usage errors. */
export function parseCommand<O extends Options>(
  args: string[],
  options: O,
  usage: string,
  positionals: { min: number; max: number },
) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...TARGET_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError('missing argument', usage);
  if (count > positionals.max)
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`, usage);
  return parsed as unknown as {
    values: TargetOptions & { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
    positionals: string[];
  };
}

/** An integer option within bounds, or a usage error naming it. */
export function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  usage: string,
  min = 1,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, not "${value}"`, usage);
  return n;
}
