import { z } from 'zod';

/**
 * RDS identifier rules (DB instance and DB cluster identifiers), in the order they are checked.
 * Each failing rule produces a message naming the rule, so a user knows exactly what to fix.
 */
export const IDENTIFIER_MAX_LENGTH = 63;

export interface IdentifierRule {
  name: string;
  test: (value: string) => boolean;
  message: (value: string) => string;
}

export const IDENTIFIER_RULES: readonly IdentifierRule[] = [
  {
    name: 'length',
    test: (v) => v.length >= 1 && v.length <= IDENTIFIER_MAX_LENGTH,
    message: (v) => `must be 1 to ${IDENTIFIER_MAX_LENGTH} characters long (got ${v.length})`,
  },
  {
    name: 'first-letter',
    test: (v) => /^[a-z]/i.test(v),
    message: (v) => `must start with a letter (starts with "${v[0]}")`,
  },
  {
    name: 'characters',
    test: (v) => /^[a-z0-9-]*$/i.test(v),
    message: (v) =>
      `may contain only letters, digits and hyphens (found "${[...v].find((c) => !/[a-z0-9-]/i.test(c))}")`,
  },
  {
    name: 'consecutive-hyphens',
    test: (v) => !v.includes('--'),
    message: () => 'must not contain two consecutive hyphens',
  },
  {
    name: 'trailing-hyphen',
    test: (v) => !v.endsWith('-'),
    message: () => 'must not end with a hyphen',
  },
];

/** The first rule `value` breaks, or undefined when it is a legal identifier. */
export function brokenIdentifierRule(value: string): IdentifierRule | undefined {
  return IDENTIFIER_RULES.find((rule) => !rule.test(value));
}

/** A DB instance or cluster identifier: validated like RDS does, case-insensitive, stored lowercase. */
export const identifierSchema = z
  .string({ error: 'must be a string: the DB instance or cluster identifier' })
  .superRefine((value, ctx) => {
    const rule = brokenIdentifierRule(value);
    if (rule)
      ctx.addIssue({
        code: 'custom',
        message: `identifier "${value}" ${rule.message(value)} [rule: ${rule.name}]`,
      });
  })
  .transform((v) => v.toLowerCase());

const SNAPSHOT_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:[a-z][a-z0-9-]*$/i;
const SNAPSHOT_ID = /^(rds:)?[a-z][a-z0-9-]*$/i;

/** A snapshot identifier (manual `name`, automated `rds:name`) or a snapshot ARN (shared snapshots). */
export const snapshotIdentifierSchema = z
  .string({ error: 'must be a string: a snapshot identifier or ARN' })
  .superRefine((value, ctx) => {
    if (SNAPSHOT_ARN.test(value)) return;
    const bare = value.replace(/^rds:/, '');
    let problem: string | undefined;
    if (value.length < 1 || value.length > 255)
      problem = `must be 1 to 255 characters long (got ${value.length})`;
    else if (!SNAPSHOT_ID.test(value)) {
      problem = /^[a-z]/i.test(bare)
        ? 'may contain only letters, digits and hyphens (an automated snapshot may start with "rds:")'
        : 'must start with a letter';
    } else if (bare.includes('--')) problem = 'must not contain two consecutive hyphens';
    else if (bare.endsWith('-')) problem = 'must not end with a hyphen';
    if (problem) ctx.addIssue({ code: 'custom', message: `snapshot identifier "${value}" ${problem}` });
  })
  .transform((v) => (SNAPSHOT_ARN.test(v) ? v : v.toLowerCase()));
