// @ts-expect-error: the package does not exist; loading this file must name it.
import { Nothing } from '@flowenv/env-does-not-exist';
import { Flow } from '@flowenv/core';

export default new Flow({ name: String(Nothing) });
