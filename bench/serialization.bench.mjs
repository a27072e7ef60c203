// serialize() + JSON text + registry.deserialize() round trips per second, per environment type
// whose package is installed here; the headline figure is the slowest type.
import { Environment, EnvironmentRegistry } from '@flowenv/core';
import { LocalEnvironment } from '@flowenv/env-local';
import { RemoteEnvironment } from '@flowenv/env-remote';
import { RemoteDaskEnvironment } from '@flowenv/env-dask-remote';
import { KubernetesJobEnvironment } from '@flowenv/env-k8s-job';
import { FargateTaskEnvironment } from '@flowenv/env-fargate';
import { DaskCloudProviderEnvironment } from '@flowenv/env-dask-cloudprovider';
import { report } from './report.mjs';

class UserEnvironment extends Environment {}

const cases = {
  Environment: () => new Environment({ labels: ['a', 'b'] }),
  LocalEnvironment: () => new LocalEnvironment({ labels: ['a', 'b'] }),
  RemoteEnvironment: () => new RemoteEnvironment({ labels: ['a'], executor: '@flowenv/core#LocalParallelExecutor', executorOptions: { maxConcurrency: 4 } }),
  RemoteDaskEnvironment: () => new RemoteDaskEnvironment({ address: 'tcp://127.0.0.1:8786', labels: ['dask'] }),
  KubernetesJobEnvironment: () => new KubernetesJobEnvironment({ labels: ['k8s'] }),
  FargateTaskEnvironment: () => new FargateTaskEnvironment({ labels: ['aws'], family: 'flow', cluster: 'default', cpu: '256', memory: '512' }),
  DaskCloudProviderEnvironment: () => new DaskCloudProviderEnvironment({ provider: 'FargateCluster', labels: ['aws'], adaptiveMinWorkers: 0, adaptiveMaxWorkers: 4 }),
  CustomEnvironment: () => new UserEnvironment({ labels: ['custom'] }),
};
const registry = new EnvironmentRegistry([
  LocalEnvironment,
  RemoteEnvironment,
  RemoteDaskEnvironment,
  KubernetesJobEnvironment,
  FargateTaskEnvironment,
  DaskCloudProviderEnvironment,
]);

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
