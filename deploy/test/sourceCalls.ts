import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every `.ts` file under a folder (tests excluded). */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Names imported from `module` by the files (`import { A, B as C } from 'module'`), type-only imports excluded. */
export function importedNames(files: string[], module: string): Set<string> {
  const names = new Set<string>();
  const pattern = new RegExp(`import\\s+(type\\s+)?\\{([^}]*)\\}\\s+from\\s+['"]${module}['"]`, 'g');
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (match[1]) continue;
      for (const item of match[2]!.split(',')) {
        const trimmed = item.trim();
        if (!trimmed || trimmed.startsWith('type ')) continue;
        names.add(trimmed.split(/\s+as\s+/)[0]!.trim());
      }
    }
  }
  return names;
}

/** `rds:<Action>` for each `<Action>Command` imported from @aws-sdk/client-rds. */
export function rdsActionsCalled(files: string[]): Set<string> {
  return new Set(
    [...importedNames(files, '@aws-sdk/client-rds')]
      .filter((n) => /^[A-Z]\w+Command$/.test(n))
      .map((n) => `rds:${n.replace(/Command$/, '')}`),
  );
}

const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  TransactGetCommand: 'dynamodb:TransactGetItems',
  TransactWriteCommand: 'dynamodb:TransactWriteItems',
};

/** DynamoDB actions behind the `@aws-sdk/lib-dynamodb` / `@aws-sdk/client-dynamodb` item commands imported. */
export function dynamoActionsCalled(files: string[]): Set<string> {
  const names = [
    ...importedNames(files, '@aws-sdk/lib-dynamodb'),
    ...importedNames(files, '@aws-sdk/client-dynamodb'),
  ];
  const actions = new Set<string>();
  for (const n of names) {
    if (DOCUMENT_COMMANDS[n]) actions.add(DOCUMENT_COMMANDS[n]);
    else if (/^(GetItem|PutItem|UpdateItem|DeleteItem|Query|Scan|TransactWriteItems)Command$/.test(n)) {
      actions.add(`dynamodb:${n.replace(/Command$/, '')}`);
    }
  }
  return actions;
}

/**
 * The files a service's code runs: its own `src/`, plus the `@rewind/shared` modules defining the names it
 * imports, followed through their relative imports (services call RDS through shared helpers too).
 */
export function reachableFiles(serviceSrc: string, sharedSrc: string): string[] {
  const definedIn = new Map<string, string>();
  for (const file of sourceFiles(sharedSrc)) {
    for (const m of readFileSync(file, 'utf8').matchAll(
      /export\s+(?:async\s+)?(?:function|const|class|let|enum)\s+(\w+)/g,
    )) {
      definedIn.set(m[1]!, file);
    }
  }
  const seen = new Set<string>();
  const work = [...sourceFiles(serviceSrc)];
  while (work.length) {
    const file = work.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const name of importedNames([file], '@rewind/shared')) {
      const target = definedIn.get(name);
      if (target) work.push(target);
    }
    for (const m of code.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = join(file, '..', m[1]!);
      for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
        if (existsSync(candidate)) work.push(candidate);
      }
    }
  }
  return [...seen];
}
