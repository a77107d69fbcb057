import { decodeJsonEnv, encodeJsonEnv } from '../jsonEnv';
import { replicationPolicySchema, type ReplicationPolicy } from '../policies/replication';

/**
 * How the replication policies travel to the replication function: its environment variable
 * `REWIND_REPLICATION_POLICIES`, plain JSON while it fits (about five policies in Lambda's 4 KB beside
 * the other variables), else gzipped (`shared/src/jsonEnv.ts`: sixty near-identical policies take 1.5 KB).
 */
export const POLICIES_ENV_NAME = 'REWIND_REPLICATION_POLICIES';

export function encodePoliciesEnv(policies: readonly ReplicationPolicy[], plainLimit: number): string {
  return encodeJsonEnv(policies, plainLimit);
}

/** Reads the variable (plain or `gz:`); a broken value is an error naming the fix. */
export function decodePoliciesEnv(raw: string | undefined): ReplicationPolicy[] {
  if (!raw) return [];
  const parsed = decodeJsonEnv(POLICIES_ENV_NAME, raw);
  if (!Array.isArray(parsed)) {
    throw new Error(`${POLICIES_ENV_NAME} must be a JSON list of replication policies: redeploy`);
  }
  return parsed.map((p) => replicationPolicySchema.parse(p));
}
