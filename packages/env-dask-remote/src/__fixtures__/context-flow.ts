// The flow `runFlow` finds through PREFECT__CONTEXT__FLOW_FILE_PATH.
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'context-flow' });
flow.task('answer', () => 42);

export default flow;
