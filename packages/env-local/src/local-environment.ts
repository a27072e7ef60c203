import {
  Environment,
  FlowenvError,
  processEnvironment,
  runStoredFlow,
  runWithLifecycle,
  type EnvironmentOptions,
  type ExecuteOptions,
  type RunHandle,
  type Storage,
} from '@flowenv/core';

/**
 * Runs the flow in this process (Prefect 0.11 LocalEnvironment), with the executor, flow runner
 * and task runner the config names.
 */
export class LocalEnvironment extends Environment {
  static override readonly type: string = 'LocalEnvironment';

  constructor(options: EnvironmentOptions = {}) {
    super(options);
  }

  static fromSerialized(fields: Record<string, unknown>): LocalEnvironment {
    return new LocalEnvironment({ labels: fields['labels'] as string[] });
  }

  /**
   * Loads the flow from storage and runs it here. Storages that cannot give a Flow object
   * (getFlow → NOT_IMPLEMENTED) run it through their env runner, with this process's variables
   * overlaid by `options.env`.
   */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    // LocalEnvironment does not log run errors itself (0.11): no logger in the hooks.
    return runWithLifecycle({ onStart: this.onStart, onExit: this.onExit }, async () => {
      try {
        return await runStoredFlow(storage, flowLocation, options);
      } catch (error) {
        if (!(FlowenvError.isInstance(error) && error.code === 'NOT_IMPLEMENTED' && storage.getEnvRunner)) throw error;
        const runEnv = storage.getEnvRunner(flowLocation);
        await runEnv({ env: { ...processEnvironment(), ...options.env } });
        return envRunnerHandle(flowLocation);
      }
    });
  }
}

function envRunnerHandle(flowLocation: string): RunHandle {
  return {
    kind: 'in-process',
    id: flowLocation,
    details: { location: flowLocation },
    wait: () => Promise.resolve({ state: 'Success' }),
    logs: async function* () {},
    cancel: () => Promise.resolve(),
  };
}
