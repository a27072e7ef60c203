// The smallest useful flow: a parameter, two tasks that use its result, and one that joins them.
//   npx flowenv run examples/hello-flow.ts
//   npx flowenv run examples/hello-flow.ts --param who=Ada
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'hello' });

const who = flow.parameter('who', { default: 'world' });
const greeting = flow.task('greeting', { upstream: { who } }, ({ who }) => `Hello, ${who}!`);
const shout = flow.task('shout', { upstream: { greeting } }, ({ greeting }) => greeting.toUpperCase());
const letters = flow.task('letters', { upstream: { greeting } }, ({ greeting }) => greeting.replace(/[^a-z]/gi, '').length);
flow.task('report', { upstream: { shout, letters } }, ({ shout, letters }) => {
  console.log(`${shout} (${letters} letters)`);
  return { shout, letters };
});

export default flow;
