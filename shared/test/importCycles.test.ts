import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * No module imports itself back, through any chain, type-only imports included (a type cycle still
 * couples two modules that should be layered). Relative imports only: packages are layered by their
 * dependencies.
 */

const ROOT = join(__dirname, '..', '..');
const SOURCES = ['shared/src', 'local/src', 'cli/src', 'deploy', ...servicesSources()];

function servicesSources(): string[] {
  return readdirSync(join(ROOT, 'services'))
    .map((name) => `services/${name}/src`)
    .filter((dir) => existsSync(join(ROOT, dir)));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'test' || name === 'node_modules' ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
}

/** Each file's relative imports (`import`, `import type`, `export ... from`). */
function importGraph(files: string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
      const targets = importedFiles.flatMap((i) => resolveImport(file, i.fileName) ?? []);
      return [file, targets];
    }),
  );
}

/** One cycle per strongly connected group found by a depth-first walk, as a list of files. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'closed'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'closed');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

test('no import cycles in the sources of shared, local, cli, deploy and the services', () => {
  const files = SOURCES.flatMap((dir) => tsFiles(join(ROOT, dir)));
  expect(files.length).toBeGreaterThan(100);
  const found = cycles(importGraph(files)).map((c) => c.map((f) => relative(ROOT, f)).join(' > '));
  expect(found).toEqual([]);
});

test('the walk finds a cycle, type-only imports included', () => {
  const graph = importGraph([]);
  graph.set('a.ts', ['b.ts']);
  graph.set('b.ts', ['c.ts']);
  graph.set('c.ts', ['a.ts']);
  graph.set('d.ts', ['a.ts']);
  expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  const { importedFiles } = ts.preProcessFile(
    "import type { X } from './x';\nexport { Y } from './y';",
    true,
  );
  expect(importedFiles.map((i) => i.fileName)).toEqual(['./x', './y']);
});
