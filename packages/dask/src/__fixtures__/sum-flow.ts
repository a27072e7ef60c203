// A small flow loaded from a file, so its plan carries a flowLocation.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'sum' });
const a = flow.task('a', () => 1);
flow.task('b', { upstream: { a } }, ({ a }) => a + 1);

export default flow;
