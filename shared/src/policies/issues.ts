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
