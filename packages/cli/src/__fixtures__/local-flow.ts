// A flow that runs in a LocalEnvironment whose hooks, like its task, record that they ran.
import { Flow } from '@flowenv/core';
import { LocalEnvironment } from '@flowenv/env-local';
import { recordCall } from './record-call.js';

const flow = new Flow({
  name: 'local-flow',
  environment: new LocalEnvironment({
    labels: ['cli-test'],
    onStart: () => recordCall('start'),
    onExit: () => recordCall('exit'),
  }),
});

flow.task('body', () => {
  recordCall('body');
  return 'ran';
});

export default flow;
