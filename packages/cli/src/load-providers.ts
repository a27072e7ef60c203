import { EnvironmentRegistry, FlowenvError, type Environment, type SerializableEnvironmentClass } from '@flowenv/core';

/** Each provider package and the environment classes it exports. */
const providerPackages: Readonly<Record<string, readonly string[]>> = {
  '@flowenv/env-local': ['LocalEnvironment'],
  '@flowenv/env-remote': ['RemoteEnvironment'],
  '@flowenv/env-dask-remote': ['RemoteDaskEnvironment'],
  '@flowenv/env-k8s-job': ['KubernetesJobEnvironment'],
  '@flowenv/env-dask-k8s': ['DaskKubernetesEnvironment'],
  '@flowenv/env-fargate': ['FargateTaskEnvironment'],
  '@flowenv/env-dask-cloudprovider': ['DaskCloudProviderEnvironment'],
};

/** Imports a provider package if it is installed; undefined otherwise. */
export async function importProvider(packageName: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** A registry of every environment class whose package is installed here. */
export async function installedEnvironmentRegistry(): Promise<EnvironmentRegistry> {
  const registry = new EnvironmentRegistry();
  for (const [packageName, classNames] of Object.entries(providerPackages)) {
    const module = await importProvider(packageName);
    for (const className of classNames) {
      const environmentClass = module?.[className] as SerializableEnvironmentClass | undefined;
      if (environmentClass) registry.register(environmentClass);
    }
  }
  return registry;
}

/** The environment a flow runs in when it names none: RemoteEnvironment, as in Prefect 0.11. */
export async function defaultEnvironment(): Promise<Environment> {
  const module = await importProvider('@flowenv/env-remote');
  const RemoteEnvironment = module?.['RemoteEnvironment'] as (new () => Environment) | undefined;
  if (!RemoteEnvironment) {
    throw new FlowenvError({
      code: 'PROVIDER_NOT_INSTALLED',
      message: 'The flow names no environment and the default, RemoteEnvironment, is not installed: npm install @flowenv/env-remote (or set flow.environment)',
    });
  }
  return new RemoteEnvironment();
}
