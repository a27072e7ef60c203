// A flow in a LocalEnvironment whose second task throws: the run ends Failed.
import { Flow } from '@flowenv/core';
import { LocalEnvironment } from '@flowenv/env-local';

const flow = new Flow({ name: 'failing-flow', environment: new LocalEnvironment() });

const prepare = flow.task('prepare', () => 'prepared');
flow.task('write-report', { upstream: { prepare } }, () => {
  throw new Error('disk full while writing the report');
});

export default flow;
