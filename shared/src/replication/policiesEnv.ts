import { gunzipSync, gzipSync } from 'node:zlib';
import { replicationPolicySchema, type ReplicationPolicy } from '../policies/replication';

/**
 * How the replication policies travel to the replication function: its environment variable
 * `REWIND_REPLICATION_POLICIES`. Lambda allows 4 KB of environment per function, which plain JSON fills
 * with about five policies; when plain JSON does not fit under `plainLimit`, the value is the JSON
 * gzipped, base64, after `gz:` (policies repeat their field names: several times as many fit; sixty
 * near-identical policies take 1.5 KB). Small files stay readable in the Lambda console.
 */
export const POLICIES_ENV_NAME = 'REWIND_REPLICATION_POLICIES';
const GZIP_PREFIX = 'gz:';

export function encodePoliciesEnv(policies: readonly ReplicationPolicy[], plainLimit: number): string {
  const json = JSON.stringify(policies);
  if (Buffer.byteLength(json) <= plainLimit) return json;
  return GZIP_PREFIX + gzipSync(json, { level: 9 }).toString('base64');
}

/** Reads the variable (plain or `gz:`); a broken value is an error naming the fix. */
export function decodePoliciesEnv(raw: string | undefined): ReplicationPolicy[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    const json = raw.startsWith(GZIP_PREFIX)
      ? gunzipSync(Buffer.from(raw.slice(GZIP_PREFIX.length), 'base64')).toString('utf8')
      : raw;
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(
      `${POLICIES_ENV_NAME} is neither JSON nor gz:<base64 of gzipped JSON> (${(err as Error).message}): redeploy from a valid rewind.config.json`,
      { cause: err },
    );
  }
  if (!Array.isArray(parsed)) {
    throw new Error(`${POLICIES_ENV_NAME} must be a JSON list of replication policies: redeploy`);
  }
  return parsed.map((p) => replicationPolicySchema.parse(p));
}
