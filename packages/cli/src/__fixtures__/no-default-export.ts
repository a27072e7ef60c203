// A module that builds a flow but exports it by name only.
import { Flow } from '@flowenv/core';

export const flow = new Flow({ name: 'not-exported-by-default' });
flow.task('noop', () => undefined);
