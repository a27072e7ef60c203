import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContextEntries, packBuildContext } from './build-context.js';
import { collectExtraFiles } from './collect-extra-files.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'flowenv-context-'));
  await writeFile(join(directory, 'settings.json'), '{"a":1}');
  await mkdir(join(directory, 'data', 'nested'), { recursive: true });
  await writeFile(join(directory, 'data', 'one.txt'), 'one');
  await writeFile(join(directory, 'data', 'nested', 'two.txt'), 'two');
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('collectExtraFiles', () => {
  it('places files and folders under files/<n>/ and says where each is copied', async () => {
    const extra = await collectExtraFiles({ 'settings.json': '/etc/app/settings.json', data: '/srv/data' }, directory);
    expect(extra.copies).toEqual([
      { contextPath: 'files/0/settings.json', destination: '/etc/app/settings.json' },
      { contextPath: 'files/1/', destination: '/srv/data/' },
    ]);
    expect(extra.entries.map((entry) => [entry.path, entry.imagePath, entry.contents.toString()])).toEqual([
      ['files/0/settings.json', '/etc/app/settings.json', '{"a":1}'],
      ['files/1/nested/two.txt', '/srv/data/nested/two.txt', 'two'],
      ['files/1/one.txt', '/srv/data/one.txt', 'one'],
    ]);
  });

  it('names a missing file and the option', async () => {
    await expect(collectExtraFiles({ 'nope.txt': '/nope.txt' }, directory)).rejects.toMatchObject({
      code: 'STORAGE_INVALID',
      message: `DockerStorage: extra file ${join(directory, 'nope.txt')} (option \`files\`) does not exist`,
    });
  });
});

describe('build context', () => {
  const entries = buildContextEntries({
    dockerfile: 'FROM x\n',
    runtime: [{ path: '/opt/flowenv/flowenv.mjs', contents: 'cli' }, { path: '/opt/flowenv/healthcheck.mjs', contents: 'check' }],
    commandScript: '#!/usr/bin/env node\n',
    flowFiles: [{ path: '/opt/prefect/flows/hello.mjs', contents: 'flow' }, { path: '/opt/prefect/flows/hello.mjs.map', contents: '{}' }],
    flowsDirectory: '/opt/prefect/flows',
    healthCheckPlan: { flows: [{ name: 'hello', location: '/opt/prefect/flows/hello.mjs', bundledPackages: ['@flowenv/core'] }] },
    extraFiles: [{ path: 'files/0/a.txt', contents: Buffer.from('a'), imagePath: '/a.txt' }],
  });

  it('lays the files out as the Dockerfile copies them', () => {
    expect(entries.map((entry) => [entry.path, entry.imagePath])).toEqual([
      ['Dockerfile', '(Dockerfile)'],
      ['files/0/a.txt', '/a.txt'],
      ['runtime/flowenv.mjs', '/opt/flowenv/flowenv.mjs'],
      ['runtime/healthcheck.mjs', '/opt/flowenv/healthcheck.mjs'],
      ['bin/flowenv', '/usr/local/bin/flowenv'],
      ['flows/hello.mjs', '/opt/prefect/flows/hello.mjs'],
      ['flows/hello.mjs.map', '/opt/prefect/flows/hello.mjs.map'],
      ['healthcheck.json', 'healthcheck.json'],
    ]);
    expect(JSON.parse(entries.at(-1)?.contents.toString() as string)).toEqual({
      flows: [{ name: 'hello', location: '/opt/prefect/flows/hello.mjs', bundledPackages: ['@flowenv/core'] }],
    });
  });

  it('packs them into a tar with a fixed time and owner, so identical inputs give identical contexts', async () => {
    const read = async () => {
      const extract = tar.extract();
      const stream = await packBuildContext(entries);
      stream.pipe(extract);
      const files: { name: string; mode: number | undefined; mtime: number | undefined; uid: number | undefined; text: string }[] = [];
      for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        files.push({ name: entry.header.name, mode: entry.header.mode, mtime: entry.header.mtime?.getTime(), uid: entry.header.uid, text: Buffer.concat(chunks).toString() });
      }
      return files;
    };
    const first = await read();
    expect(first.map((file) => file.name)).toEqual(entries.map((entry) => entry.path));
    expect(first[0]).toEqual({ name: 'Dockerfile', mode: 0o644, mtime: Date.UTC(2000, 0, 1), uid: 0, text: 'FROM x\n' });
    expect(first.find((file) => file.name === 'bin/flowenv')?.mode).toBe(0o755);
    expect(await read()).toEqual(first);
  });
});
