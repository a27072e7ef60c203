// A flow with a parameter that has no default.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'required-parameter-flow' });
const name = flow.parameter<string>('name');
flow.task('greet', { upstream: { name } }, ({ name }) => `Hi ${name}`);

export default flow;
