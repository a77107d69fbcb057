import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEventDocs } from '../src/contracts/jsonSchema';

const dir = join(__dirname, '..', '..', 'docs', 'events');
mkdirSync(dir, { recursive: true });
const files = renderEventDocs();
for (const existing of readdirSync(dir)) if (!(existing in files)) rmSync(join(dir, existing));
for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
console.log(`wrote ${Object.keys(files).length} files to docs/events/`);
