// Entry point of a LocalParallelExecutor worker thread: runs the tasks it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { runFlowTask, type FlowTaskRequest } from '../flow/run-flow-task.js';
import { serializeError } from '../flow/state.js';

parentPort?.on('message', (request: FlowTaskRequest) => {
  runFlowTask(request).then(
    (state) => parentPort?.postMessage(state),
    (error: unknown) =>
      parentPort?.postMessage({ state: 'Failed', attempts: 0, message: String(error), error: serializeError(error) }),
  );
});
