import { readFileSync } from 'node:fs';
import { topology } from '../src';
import { renderServiceReadmes, withWiring } from '../scripts/serviceReadmes';

describe('services/<name>/README.md', () => {
  test('each wiring section is up to date with the topology (run `npm run docs:generate`)', () => {
    const files = renderServiceReadmes();
    expect(files).toHaveLength(topology.services.length);
    for (const { path, content } of files) {
      expect({ path, content: readFileSync(path, 'utf8') }).toEqual({ path, content });
    }
  });

  test('the section lists the steps, rules, patterns and emitted events of the topology', () => {
    const spec = topology.services.find((s) => s.name === 'rename')!;
    const readme = withWiring('# rename service\n', spec);
    expect(readme).toContain('Steps it owns: `set-aside`, `take-name`, `rename-back`.');
    for (const rule of spec.rules) expect(readme).toContain(`\`${JSON.stringify(rule.pattern)}\``);
    for (const event of spec.emits)
      expect(readme).toContain(`[\`${event}\`](../../docs/events/${event}.json)`);
    expect(readme).not.toContain('promote');
  });

  test('regenerating replaces the section instead of adding a second one', () => {
    const spec = topology.services[0]!;
    const once = withWiring('# a service\n\nProse.\n', spec);
    const twice = withWiring(once, spec);
    expect(twice).toBe(once);
    expect(twice.match(/## Wiring/g)).toHaveLength(1);
    expect(twice.startsWith('# a service\n\nProse.\n')).toBe(true);
  });
});
