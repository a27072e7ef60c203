// A flow that reports what the run context gave it; its storage declares one secret.
import { Flow, LocalStorage, currentRunContext } from '@flowenv/core';

const flow = new Flow({ name: 'context', storage: new LocalStorage({ secrets: ['API_KEY'] }) });
flow.task('inspect', (_inputs, context) => ({
  flowRunId: context.runContext.flowRunId,
  apiKey: currentRunContext().secrets['API_KEY'],
}));

export default flow;
