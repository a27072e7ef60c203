// A flow for DockerStorage tests: a parameter and two tasks.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'hello docker?!~' });
const who = flow.parameter('who', { default: 'world' });
flow.task('greeting', { upstream: { who } }, ({ who }) => `Hello, ${who}!`);

export default flow;
