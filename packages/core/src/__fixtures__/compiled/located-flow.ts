// Compiled by compileFlowModule: a local import, a package import and its own location.
import { Flow } from '@flowenv/core';
import { suffix } from './helper.js';

const flow = new Flow({ name: 'located' });
flow.task('where', () => ({ url: import.meta.url, dirname: import.meta.dirname, suffix }));
export default flow;
