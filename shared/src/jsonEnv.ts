import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * A section of the policy file handed to a function in an environment variable (replication policies, DR
 * plans). Lambda allows 4 KB of environment per function: the value is plain JSON while it fits under
 * `plainLimit` (readable in the Lambda console), else the JSON gzipped, base64, after `gz:` (policy
 * sections repeat their field names: several times as much fits).
 */
const GZIP_PREFIX = 'gz:';

export function encodeJsonEnv(value: unknown, plainLimit: number): string {
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) <= plainLimit) return json;
  return GZIP_PREFIX + gzipSync(json, { level: 9 }).toString('base64');
}

/** The value of variable `name` (plain or `gz:`), parsed; a broken value is an error naming the fix. */
export function decodeJsonEnv(name: string, raw: string): unknown {
  try {
    const json = raw.startsWith(GZIP_PREFIX)
      ? gunzipSync(Buffer.from(raw.slice(GZIP_PREFIX.length), 'base64')).toString('utf8')
      : raw;
    return JSON.parse(json);
  } catch (err) {
    throw new Error(
      `${name} is neither JSON nor gz:<base64 of gzipped JSON> (${(err as Error).message}): redeploy from a valid rewind.config.json`,
      { cause: err },
    );
  }
}
