// serialize() + JSON text + registry.deserialize() round trips per second, per environment type
// whose package is installed here; the headline figure is the slowest type.
import { Environment, EnvironmentRegistry } from '@flowenv/core';
import { LocalEnvironment } from '@flowenv/env-local';
import { RemoteEnvironment } from '@flowenv/env-remote';
import { report } from './report.mjs';

class UserEnvironment extends Environment {}

const cases = {
  Environment: () => new Environment({ labels: ['a', 'b'] }),
  LocalEnvironment: () => new LocalEnvironment({ labels: ['a', 'b'] }),
  RemoteEnvironment: () => new RemoteEnvironment({ labels: ['a'], executor: '@flowenv/core#LocalParallelExecutor', executorOptions: { maxConcurrency: 4 } }),
  CustomEnvironment: () => new UserEnvironment({ labels: ['custom'] }),
};
const registry = new EnvironmentRegistry([LocalEnvironment, RemoteEnvironment]);

function roundTripsPerSecond(environment, durationMs) {
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let index = 0; index < 500; index++) {
      const loaded = registry.deserialize(JSON.parse(JSON.stringify(environment.serialize())));
      if (loaded.labels.size === 0) throw new Error('round trip lost the labels');
    }
    count += 500;
    elapsed = performance.now() - started;
  }
  return (count / elapsed) * 1000;
}

let slowest = Infinity;
for (const [type, create] of Object.entries(cases)) {
  const environment = create();
  roundTripsPerSecond(environment, 200); // warm-up
  const perSecond = roundTripsPerSecond(environment, 1000);
  slowest = Math.min(slowest, perSecond);
  report(`serialization.${type}.roundtrips_per_s`, perSecond, 'round trips/s', '>=50000');
}
report('serialization.roundtrips_per_s', slowest, 'round trips/s (slowest type)', '>=50000');
