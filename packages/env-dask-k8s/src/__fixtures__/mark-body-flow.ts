// A flow whose task calls the function the test put on globalThis.flowenvK8sBody, and returns
// the flow run id and parameters its run context got.
import { Flow, currentRunContext } from '@flowenv/core';

const flow = new Flow({ name: 'mark-body' });
flow.task('body', () => {
  (globalThis as { flowenvK8sBody?: () => void }).flowenvK8sBody?.();
  return { flowRunId: currentRunContext().flowRunId ?? null };
});

export default flow;
