// A flow for the task host tests: tasks that return, print, throw, retry and exit.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'host-flow' });
const base = flow.parameter('base', { default: 1 });
const add = flow.task('add', { upstream: { base } }, ({ base }) => base + 41);
flow.task('double', { upstream: { add } }, ({ add }) => add * 2);
flow.task('noisy', () => {
  console.log('this line goes to the worker log, not the protocol');
  process.stdout.write('{"id":1,"fake":"protocol line"}\n');
  return 'quiet result';
});
flow.task('boom', () => {
  throw new TypeError('boom: got 42');
});
flow.task('flaky', { retries: 2 }, (_inputs, context) => {
  if (context.attempt < 3) throw new Error(`attempt ${context.attempt} fails`);
  return context.attempt;
});
flow.task('slow', { timeoutMs: 50 }, () => new Promise((resolve) => setTimeout(resolve, 2000)));
flow.task('big-int', () => 10n);
flow.task('context', (_inputs, context) => ({ flowRunId: context.runContext.flowRunId, parameters: context.parameters }));
flow.task('exit', () => process.exit(7));

export default flow;
