// Writes the per-package build/test configuration (tsconfig.lib.json, tsconfig.spec.json,
// vitest.config.ts) from one template, so every package builds and tests the same way.
// usage: node tools/new-package-files.mjs <package-dir-name> [referenced-package …]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, ...references] = process.argv.slice(2);
if (!name) throw new Error('usage: node tools/new-package-files.mjs <package> [referenced-package …]');
const dir = join('packages', name);
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

writeFileSync(join(dir, 'tsconfig.lib.json'), json({
  extends: '../../tsconfig.base.json',
  compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/tsconfig.lib.tsbuildinfo' },
  include: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/__fixtures__/**'],
  references: references.map((reference) => ({ path: `../${reference}/tsconfig.lib.json` })),
}));
writeFileSync(join(dir, 'tsconfig.spec.json'), json({
  extends: '../../tsconfig.base.json',
  compilerOptions: { outDir: '../../tmp/spec/' + name, tsBuildInfoFile: '../../tmp/spec/' + name + '/tsconfig.spec.tsbuildinfo', emitDeclarationOnly: true },
  include: ['src/**/*.test.ts', 'src/**/__fixtures__/**/*.ts'],
  references: [{ path: './tsconfig.lib.json' }, ...references.map((reference) => ({ path: `../${reference}/tsconfig.lib.json` }))],
}));
writeFileSync(join(dir, 'vitest.config.ts'), `import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

export default defineProject({
  ...sourceConditions,
  test: { name: '${name}', include: ['src/**/*.test.ts'] },
});
`);
