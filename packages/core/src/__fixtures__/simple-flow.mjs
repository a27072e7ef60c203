import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'simple-js' });
const a = flow.task('a', () => 20);
flow.task('b', { upstream: { a } }, ({ a }) => a + 22);
export default flow;
