// Writes a provider package.json from one template (name, description, dependencies).
// usage: node tools/write-package-json.mjs <dir> '<description>' '<json deps>' '<json peer deps besides core>'
import { writeFileSync } from 'node:fs';

const [dir, description, dependencies = '{}', extraPeers = '{}'] = process.argv.slice(2);
const peers = { '@flowenv/core': '>=0.1.0 <1.0.0', ...JSON.parse(extraPeers) };
const packageJson = {
  name: `@flowenv/${dir}`,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': { '@flowenv/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md'],
  engines: { node: '>=20.19' },
  dependencies: JSON.parse(dependencies),
  peerDependencies: peers,
  devDependencies: Object.fromEntries(Object.keys(peers).map((name) => [name, '0.1.0'])),
};
writeFileSync(`packages/${dir}/package.json`, `${JSON.stringify(packageJson, null, 2)}\n`);
