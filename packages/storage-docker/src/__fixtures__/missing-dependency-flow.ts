// A flow whose environment needs a package that is neither bundled nor installed in the image.
import { Environment, Flow } from '@flowenv/core';

class NeedsSdkEnvironment extends Environment {
  override get dependencies(): string[] {
    return ['@flowenv/core', 'flowenv-sdk-that-is-not-installed'];
  }
}

const flow = new Flow({ name: 'missing-dependency', environment: new NeedsSdkEnvironment() });
flow.task('never', () => 'unreachable');

export default flow;
