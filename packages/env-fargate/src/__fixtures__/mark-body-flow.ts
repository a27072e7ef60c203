// A flow whose task calls the function the test put on globalThis.flowenvFargateBody, and returns
// what the executor options and run context gave it.
import { Flow, currentRunContext } from '@flowenv/core';

const flow = new Flow({ name: 'mark-body' });
flow.task('body', () => {
  (globalThis as { flowenvFargateBody?: () => void }).flowenvFargateBody?.();
  return { flowRunId: currentRunContext().flowRunId ?? null };
});

export default flow;
