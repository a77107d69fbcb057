/**
 * IAM policy evaluation for the local cloud: the subset of the policy language Rewind's generated
 * policies use, with the semantics of the IAM User Guide ("Policy evaluation logic", "Condition
 * operators", "Single-valued vs. multivalued context keys"):
 * - an explicit Deny wins; otherwise an Allow is needed; otherwise the request is implicitly denied;
 * - `Action` / `NotAction` match case-insensitively with `*` and `?`; `Resource` / `NotResource` and
 *   `StringLike` / `ArnLike` case-sensitively (ARN patterns segment by segment);
 * - condition keys are case-insensitive, values case-sensitive (except `...IgnoreCase`); all operators
 *   and all keys of a statement must match, any value of a key may;
 * - a key missing from the request: positive operators fail, negated ones (`StringNotEquals`, ...) and
 *   `...IfExists` pass, `ForAllValues:` passes (the documented trap a `Null` check closes),
 *   `ForAnyValue:` fails;
 * - a key with several values in the request (`aws:TagKeys`, `events:source`) needs `ForAllValues:` or
 *   `ForAnyValue:`: under a plain operator the condition does not match.
 * An operator it does not know fails loudly rather than guessing.
 */

export type ContextValues = Record<string, string | readonly string[]>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | boolean | (string | boolean)[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

export interface AuthorizationRequest {
  action: string;
  resource: string;
  context: ContextValues;
}

/** Why a service may not act with a role: the role is unknown, or its policies refuse a request. */
export interface RoleRefusal {
  reason: 'unknown-role' | 'denied';
  message: string;
}

/** What a service may do with a role it assumes: undefined if every request is allowed, else why not. */
export type AssumedRoleCheck = (roleArn: string, requests: AuthorizationRequest[]) => RoleRefusal | undefined;

export type Decision =
  | { allowed: true; statement?: string }
  | { allowed: false; reason: 'explicit-deny'; statement?: string }
  | { allowed: false; reason: 'implicit-deny' };

export class UnsupportedPolicyError extends Error {}

const list = <T>(v: T | readonly T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? [...(v as T[])] : [v as T];

function globToRegExp(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

const globMatch = (pattern: string, value: string, ignoreCase = false) =>
  globToRegExp(pattern, ignoreCase ? 'i' : '').test(value);

/** ARN matching: the first five `:`-separated parts one by one, the resource part (with its colons) last. */
function arnMatch(pattern: string, value: string): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const v = split(value);
  if (!p || !v) return pattern === '*' || globMatch(pattern, value);
  return p.every((part, i) => globMatch(part, v[i]!));
}

type Matcher = (policyValue: string, contextValue: string) => boolean;
const POSITIVE: Record<string, Matcher> = {
  StringEquals: (p, c) => p === c,
  StringEqualsIgnoreCase: (p, c) => p.toLowerCase() === c.toLowerCase(),
  StringLike: (p, c) => globMatch(p, c),
  ArnEquals: (p, c) => p === c,
  ArnLike: arnMatch,
  Bool: (p, c) => p.toLowerCase() === c.toLowerCase(),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

function contextValues(context: ContextValues, key: string): string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) {
    if (k.toLowerCase() === wanted) return list(v);
  }
  return undefined;
}

function conditionMatches(operatorSpec: string, key: string, policyValues: string[], context: ContextValues) {
  let operator = operatorSpec;
  let set: 'all' | 'any' | undefined;
  if (operator.startsWith('ForAllValues:')) [set, operator] = ['all', operator.slice(13)];
  else if (operator.startsWith('ForAnyValue:')) [set, operator] = ['any', operator.slice(12)];
  const ifExists = operator.endsWith('IfExists');
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);
  const values = contextValues(context, key);
  const present = values !== undefined && values.length > 0;

  if (operator === 'Null') {
    return policyValues.some((p) => (p.toLowerCase() === 'true') === !present);
  }
  const negatedOf = NEGATED[operator];
  const matcher = POSITIVE[negatedOf ?? operator];
  if (!matcher) {
    throw new UnsupportedPolicyError(
      `The local IAM evaluator does not support the condition operator ${operatorSpec}; ` +
        'add it to local/src/iam/evaluate.ts or use one it supports',
    );
  }
  if (!present) {
    if (set === 'all') return true;
    if (set === 'any') return false;
    return ifExists || negatedOf !== undefined;
  }
  const matchesAny = (c: string) => policyValues.some((p) => matcher(p, c));
  const ok = (c: string) => (negatedOf ? !matchesAny(c) : matchesAny(c));
  if (set === 'all') return values.every(ok);
  if (set === 'any') return values.some(ok);
  // Several values need a set operator (IAM User Guide); without one the condition does not match.
  return values.length === 1 && ok(values[0]!);
}

function conditionsMatch(condition: Statement['Condition'], context: ContextValues): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      if (!conditionMatches(operator, key, list(value).map(String), context)) return false;
    }
  }
  return true;
}

function actionMatches(s: Statement, action: string): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => globMatch(p, action, true));
  return list(s.Action).some((p) => globMatch(p, action, true));
}

function resourceMatches(s: Statement, resource: string): boolean {
  if (s.NotResource !== undefined) return !list(s.NotResource).some((p) => arnMatch(p, resource));
  return list(s.Resource).some((p) => arnMatch(p, resource));
}

function principalMatches(s: Statement, principal: { service?: string; arn?: string }): boolean {
  if (s.Principal === undefined) return true;
  if (s.Principal === '*') return true;
  const services = list(s.Principal.Service);
  const arns = list(s.Principal.AWS);
  return (
    (principal.service !== undefined && services.includes(principal.service)) ||
    arns.includes('*') ||
    (principal.arn !== undefined && arns.some((a) => arnMatch(a, principal.arn!)))
  );
}

/**
 * Evaluates one request against policies (identity policies, or a resource policy with `principal`).
 */
export function evaluate(
  policies: readonly PolicyDocument[],
  request: AuthorizationRequest,
  principal?: { service?: string; arn?: string },
): Decision {
  let allowedBy: string | undefined;
  let allowed = false;
  for (const policy of policies) {
    for (const s of list(policy.Statement)) {
      if (principal && !principalMatches(s, principal)) continue;
      if (!actionMatches(s, request.action) || !resourceMatches(s, request.resource)) continue;
      if (!conditionsMatch(s.Condition, request.context)) continue;
      if (s.Effect === 'Deny') return { allowed: false, reason: 'explicit-deny', statement: s.Sid };
      allowed = true;
      allowedBy ??= s.Sid;
    }
  }
  return allowed ? { allowed: true, statement: allowedBy } : { allowed: false, reason: 'implicit-deny' };
}
