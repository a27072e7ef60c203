// A task whose upstream names a task the flow does not have.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'unknown-upstream-flow' });
flow.task('report', { upstream: { data: 'fetch-data' } }, ({ data }) => data);

export default flow;
