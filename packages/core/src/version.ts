import { createRequire } from 'node:module';

/** This package's version, written as `__version__` into every serialized environment. */
export const flowenvVersion: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
