// Marks a CommonJS build folder so Node reads its .js files as CommonJS inside a "type": "module" package.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: mark-cjs.mjs <dist/cjs folder>\n');
  process.exit(2);
}
writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
