/**
 * Resource policies (KMS key policies, EventBridge bus policies): does a policy let a caller's account
 * perform an action? Deny wins over Allow; no matching Allow means no.
 *
 * Principals are matched at the account level: `"*"`, `"<account>"`, `arn:aws:iam::<account>:root`, or
 * any IAM ARN of that account (the local cloud knows the caller's account, not yet its role). Condition
 * operators StringEquals/StringLike/ArnEquals/ArnLike (and their `IfExists` forms) and Bool are
 * evaluated against the context given; a condition on a key the context lacks does not match.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface PolicyRequest {
  /** Account of the caller. */
  account: string;
  action: string;
  /** Values for condition keys, e.g. `aws:SourceArn`. */
  context?: Record<string, string | boolean | undefined>;
}

const ACCOUNT_ID = /^\d{12}$/;

/** Parses and checks a policy document; throws an Error saying what is wrong. */
export function parsePolicy(text: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the policy is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw new Error('the policy must be a JSON object');
  const raw = (doc as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0) throw new Error('the policy has no Statement');
  for (const st of statements as PolicyStatement[]) {
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') {
      throw new Error(`statement ${st.Sid ?? ''} needs "Effect": "Allow" or "Deny"`);
    }
    if (st.Principal === undefined) throw new Error(`statement ${st.Sid ?? ''} needs a Principal`);
    if (st.Action === undefined) throw new Error(`statement ${st.Sid ?? ''} needs an Action`);
  }
  return { ...(doc as PolicyDocument), Statement: statements as PolicyStatement[] };
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

/** The account of a principal entry, or "*" for everyone. */
export function principalAccount(principal: string): string | undefined {
  if (principal === '*') return '*';
  if (ACCOUNT_ID.test(principal)) return principal;
  const m = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(principal);
  return m?.[1];
}

function principalMatches(principal: PolicyStatement['Principal'], account: string): boolean {
  if (principal === '*') return true;
  if (principal === undefined) return false;
  return asList(principal['AWS']).some((p) => {
    const owner = principalAccount(p);
    return owner === '*' || owner === account;
  });
}

function conditionMatches(cond: PolicyStatement['Condition'], ctx: PolicyRequest['context'] = {}): boolean {
  for (const [operator, entries] of Object.entries(cond ?? {})) {
    const ifExists = operator.endsWith('IfExists');
    const op = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
    for (const [key, expected] of Object.entries(entries)) {
      const actual = Object.entries(ctx).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      if (actual === undefined) {
        if (ifExists) continue;
        return false;
      }
      const wanted = Array.isArray(expected) ? expected : [String(expected)];
      const text = String(actual);
      const ok =
        op === 'StringEquals' || op === 'ArnEquals' || op === 'Bool'
          ? wanted.includes(text)
          : op === 'StringEqualsIgnoreCase'
            ? wanted.some((w) => w.toLowerCase() === text.toLowerCase())
            : op === 'StringLike' || op === 'ArnLike'
              ? wanted.some((w) => wildcard(w, text))
              : false;
      if (!ok) return false;
    }
  }
  return true;
}

function applies(st: PolicyStatement, req: PolicyRequest): boolean {
  return (
    principalMatches(st.Principal, req.account) &&
    asList(st.Action).some((a) => wildcard(a, req.action, true)) &&
    conditionMatches(st.Condition, req.context)
  );
}

/** True when the policy allows the request and no statement denies it. */
export function policyAllows(policy: PolicyDocument | undefined, req: PolicyRequest): boolean {
  if (!policy) return false;
  const matching = policy.Statement.filter((st) => applies(st, req));
  return matching.some((st) => st.Effect === 'Allow') && !matching.some((st) => st.Effect === 'Deny');
}
