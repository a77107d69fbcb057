import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { renderServiceReadmes, ROOT } from './serviceReadmes';

const files = renderServiceReadmes();
for (const { path, content } of files) writeFileSync(path, content);
console.log(`wrote the wiring section of ${files.map((f) => relative(ROOT, f.path)).join(', ')}`);
