/** Every mistake found in a policy file, each as "where: what is wrong and how to fix it". */
export class PolicyIssues {
  readonly list: string[] = [];
  add(where: string, problem: string): void {
    this.list.push(`${where}: ${problem}`);
  }
  get count(): number {
    return this.list.length;
  }
}

/** A policy file that cannot be used: one line per mistake, each naming the policy, the field and the fix. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(
      issues.length === 1
        ? `${file}: ${issues[0]}`
        : `${file} has ${issues.length} mistakes:\n${issues.map((x) => `  - ${x}`).join('\n')}`,
    );
  }
}

/**
 * Validates a section that is a list of named policies: every mistake of every entry, each named by the
 * entry ("section[i] (name).field"), and names used twice. Entries with mistakes are left out.
 */
export function parseNamedPolicies<T extends { name: string }>(
  section: string,
  schema: {
    safeParse(v: unknown):
      | { success: true; data: T }
      | {
          success: false;
          error: { issues: { code: string; path: PropertyKey[]; message: string; keys?: string[] }[] };
        };
  },
  raw: unknown,
  issues: PolicyIssues,
  shape: string,
): T[] {
  if (!Array.isArray(raw)) {
    issues.add(section, `must be a list: "${section}": [ ${shape} ]`);
    return [];
  }
  const seen = new Set<string>();
  return raw.flatMap((entry: unknown, i) => {
    const name = (entry as { name?: unknown } | null)?.name;
    const where = `${section}[${i}]${typeof name === 'string' ? ` (${name})` : ''}`;
    const parsed = schema.safeParse(entry);
    if (!parsed.success) {
      for (const x of parsed.error.issues) {
        const path = x.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        const keys = x.keys ?? [];
        const problem =
          x.code === 'unrecognized_keys'
            ? `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}: remove or correct the spelling`
            : x.message;
        issues.add(`${where}${path}`, problem);
      }
      return [];
    }
    if (seen.has(parsed.data.name)) {
      issues.add(`${where}.name`, 'is used twice; give each policy its own name');
      return [];
    }
    seen.add(parsed.data.name);
    return [parsed.data];
  });
}
