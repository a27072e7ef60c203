// A flow whose only task writes "success" to the file its `outputPath` parameter names: a side
// effect a test can observe however the flow module was loaded.
import { writeFile } from 'node:fs/promises';
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'write-file' });

const outputPath = flow.parameter<string>('outputPath');
flow.task('write', { upstream: { outputPath } }, async ({ outputPath }) => {
  await writeFile(outputPath, 'success');
  return outputPath;
});

export default flow;
