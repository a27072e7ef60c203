// A flow with a `cpu` task: LocalParallelExecutor runs it in a worker thread started from the
// task-thread script next to the bundle. Re-exports core's runner pieces so a test can run the
// bundle with the core copy inside it.
import { threadId } from 'node:worker_threads';
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'parallel' });
const square = flow.task('square', { cpu: true }, () => ({ value: 7 * 7, threadId }));
flow.task('report', { upstream: { square } }, ({ square }) => `${square.value} from thread ${square.threadId}`);

export default flow;
export { FlowRunner, LocalParallelExecutor, loadFlow } from '@flowenv/core';
