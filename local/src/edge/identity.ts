/**
 * Who is calling, and where: the account comes from the access key, the region from the SigV4
 * credential scope. Unsigned requests (and unsigned admin calls) are the default identity's.
 *
 * Access keys map to accounts this way, first match wins:
 *   1. the `accounts` option of the local cloud (`{ "AKIAEXAMPLEB": "222222222222" }`);
 *   2. an access key that is itself 12 digits names that account (`AWS_ACCESS_KEY_ID=111111111111`);
 *   3. any other key (e.g. `test`) is the default account.
 */
import { LocalCloudError } from '../errors';
import type { CallerIdentity, LocalIdentity, LocalRequest } from '../types';

const SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/;
const ACCOUNT_ID = /^\d{12}$/;

export interface IdentityOptions {
  /** The default account and region. */
  identity: LocalIdentity;
  /** Access key id -> account id. */
  accounts?: Readonly<Record<string, string>>;
}

/** Checks an `accounts` map: every account must be 12 digits. */
export function validateAccounts(accounts: Readonly<Record<string, string>> | undefined): void {
  for (const [key, account] of Object.entries(accounts ?? {})) {
    if (!ACCOUNT_ID.test(account)) {
      throw new LocalCloudError(
        `accounts: access key ${key} maps to "${account}", which is not an account id (12 digits, e.g. 111111111111)`,
      );
    }
  }
}

/** The access key and region of a SigV4-signed request (header or presigned query), if signed. */
function credentialScope(req: LocalRequest): { accessKeyId: string; region: string } | undefined {
  const auth = req.headers['authorization'];
  const text = typeof auth === 'string' ? auth : `Credential=${req.query.get('X-Amz-Credential') ?? ''}`;
  const m = SCOPE.exec(text);
  return m ? { accessKeyId: m[1] as string, region: m[2] as string } : undefined;
}

/** The account an access key belongs to. */
export function accountOfAccessKey(accessKeyId: string, opts: IdentityOptions): string {
  const mapped = opts.accounts?.[accessKeyId];
  if (mapped !== undefined) return mapped;
  if (ACCOUNT_ID.test(accessKeyId)) return accessKeyId;
  return opts.identity.accountId;
}

/** The caller of a request (the edge sets `req.caller`; emulators called directly resolve it here). */
export function resolveCaller(req: LocalRequest, opts: IdentityOptions): CallerIdentity {
  if (req.caller) return req.caller;
  const scope = credentialScope(req);
  if (!scope) return { ...opts.identity };
  return {
    accountId: accountOfAccessKey(scope.accessKeyId, opts),
    region: scope.region,
    accessKeyId: scope.accessKeyId,
  };
}

/** `<account>/<region>`: the key of one account's state in one region. */
export function partitionKey(id: LocalIdentity): string {
  return `${id.accountId}/${id.region}`;
}

/**
 * Per account and region state, created on first use (an account or region exists as soon as someone
 * calls it, as an AWS account has every region).
 */
export class Partitions<T> {
  private readonly byKey = new Map<string, { identity: LocalIdentity; value: T }>();

  constructor(private readonly create: (identity: LocalIdentity) => T) {}

  get(identity: LocalIdentity): T {
    const key = partitionKey(identity);
    let found = this.byKey.get(key);
    if (found === undefined) {
      const where = { accountId: identity.accountId, region: identity.region };
      found = { identity: where, value: this.create(where) };
      this.byKey.set(key, found);
    }
    return found.value;
  }

  /** Only if it already exists. */
  peek(identity: LocalIdentity): T | undefined {
    return this.byKey.get(partitionKey(identity))?.value;
  }

  all(): T[] {
    return [...this.byKey.values()].map((p) => p.value);
  }

  /** Every existing account and region, in the order they were first used. */
  places(): LocalIdentity[] {
    return [...this.byKey.values()].map((p) => ({ ...p.identity }));
  }
}
