// A flow module that constructs its DockerStorage, as users write them: bundling it must leave the
// build-time tools (esbuild, dockerode, tar-stream) out.
import { Flow } from '@flowenv/core';
import { DockerStorage } from '../index.js';

const flow = new Flow({ name: 'with-storage', storage: new DockerStorage({ imageName: 'with-storage', secrets: ['API_TOKEN'] }) });
flow.task('hello', () => 'hello');

export default flow;
