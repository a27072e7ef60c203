import type { RunContext } from '../config/context.js';
import type { Flow } from './flow.js';
import { loadFlow } from './load-flow.js';
import type { TaskState } from './state.js';
import { TaskRunner } from './task-runner.js';

/** A request to run one task of a flow module, as it crosses a thread or process boundary. */
export interface FlowTaskRequest {
  flowLocation: string;
  taskName: string;
  upstream: Record<string, TaskState>;
  parameters: Record<string, unknown>;
  runContext: RunContext;
}

const loadedFlows = new Map<string, Promise<Flow>>();

/**
 * Runs one task of a flow module in this thread or process, loading the module once and keeping
 * it for later tasks. Used by worker threads and by the Dask task hosts.
 */
export async function runFlowTask(request: FlowTaskRequest): Promise<TaskState> {
  let flow = loadedFlows.get(request.flowLocation);
  if (flow === undefined) {
    flow = loadFlow(request.flowLocation);
    loadedFlows.set(request.flowLocation, flow);
    flow.catch(() => loadedFlows.delete(request.flowLocation));
  }
  const runner = new TaskRunner((await flow).getTask(request.taskName));
  return runner.run(request.upstream, {
    flowName: (await flow).name,
    parameters: request.parameters,
    runContext: request.runContext,
  });
}
