import { environmentOptionsSchema, type EnvironmentOptions, type Executor } from '@flowenv/core';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubernetesApi } from './kubernetes-api.js';

/** The run's Dask scheduler, as runFlow uses it. */
export interface DaskScheduler {
  /** `tcp://host:port`: the executor connects to it; workers dial its port. */
  readonly address: string;
  close(): Promise<void>;
}

export interface DaskKubernetesEnvironmentOptions extends EnvironmentOptions {
  /** The fewest Dask worker pods the run keeps (default 1). Serialized as `min_workers`. */
  minWorkers?: number | null;
  /** The most Dask worker pods the run starts at once (default 2; the 0.11 docs' 1 was wrong). Serialized as `max_workers`. */
  maxWorkers?: number | null;
  /**
   * Dask work stealing on the scheduler (default false): DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING
   * in the default scheduler Job ("True"/"False"). A custom scheduler spec keeps its own setting.
   */
  workStealing?: boolean | null;
  /** Also forward `distributed.scheduler` logs (PREFECT__LOGGING__EXTRA_LOGGERS; default false). */
  schedulerLogs?: boolean | null;
  /**
   * Deprecated (as in 0.11.3): create the `<namespace>-docker` image pull Secret in `setup` from the
   * secret named `dockerSecret`, and add it as `imagePullSecrets` to the scheduler Job and the worker
   * pods (default false). Prefer `imagePullSecrets` in custom spec files. Serialized as `private_registry`.
   */
  privateRegistry?: boolean | null;
  /**
   * With `privateRegistry`: the name of the run-context secret (PREFECT__CONTEXT__SECRETS__<name>)
   * holding `{"docker-server", "docker-username", "docker-password", "docker-email"}` as JSON.
   * Default "DOCKER_REGISTRY_CREDENTIALS"; ignored (undefined) without `privateRegistry`.
   * Serialized as `docker_secret`.
   */
  dockerSecret?: string | null;
  /**
   * A YAML file with the scheduler Job (`batch/v1` Job, at least one container; the first runs the
   * flow). Read and checked at construction, relative to the current directory. Default: the
   * package's `manifests/scheduler-job.yaml`. Never serialized.
   */
  schedulerSpecFile?: string | null;
  /**
   * A YAML file with the worker Pod (`v1` Pod, at least one container; the first runs `dask
   * worker`). Read and checked at construction. Default: the package's `manifests/worker-pod.yaml`.
   * Never serialized.
   */
  workerSpecFile?: string | null;
  /**
   * The namespace of the scheduler Job and the worker pods. Default: the run context's
   * (PREFECT__CONTEXT__NAMESPACE), then the scheduler spec's `metadata.namespace`, then the
   * kubeconfig context's, then "default".
   */
  namespace?: string | null;
  /**
   * The host the scheduler listens on and the worker pods dial. Default: the scheduler pod's IP
   * (PREFECT__CONTEXT__POD_IP, set from the downward API in the scheduler Job), else 127.0.0.1.
   */
  schedulerHost?: string | null;
  /** How often, in milliseconds, runFlow re-computes the number of worker pods (default 1000). */
  adaptIntervalMs?: number | null;
  /**
   * Makes the executor runFlow runs the flow with, given the run's scheduler address (default:
   * `new DaskExecutor({ address })`, as 0.11's run_flow did).
   */
  createExecutor?: ((address: string) => Executor) | null;
  /**
   * Starts the run's Dask scheduler inside the scheduler Job (default: a LocalDaskCluster with no
   * local workers). It must resolve to an object with the scheduler's `address` and a `close()`.
   */
  startScheduler?: ((host: string) => Promise<DaskScheduler>) | null;
  /** Like KubernetesJobEnvironment's: how long a stuck scheduler pod may wait before wait() fails the run (default 120 s). */
  stuckTimeoutSeconds?: number | null;
  /** The cluster: a KubeConfig or a kubeconfig path (default: in-cluster, then KUBECONFIG, then ~/.kube/config). Never serialized. */
  kubeConfig?: KubeConfig | string | null;
  /** The Kubernetes calls themselves, for tests (default: made from `kubeConfig`). */
  api?: KubernetesApi | null;
}

const dnsLabel = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lower-case DNS-1123 label (letters, digits and -)');
const workerCount = z.number().int().nonnegative();

export const daskKubernetesOptionsSchema = environmentOptionsSchema
  .extend({
    minWorkers: workerCount.nullish(),
    maxWorkers: workerCount.positive().nullish(),
    workStealing: z.boolean().nullish(),
    schedulerLogs: z.boolean().nullish(),
    privateRegistry: z.boolean().nullish(),
    dockerSecret: z.string().min(1).nullish(),
    schedulerSpecFile: z.string().min(1).nullish(),
    workerSpecFile: z.string().min(1).nullish(),
    namespace: dnsLabel.nullish(),
    schedulerHost: z.string().min(1).nullish(),
    adaptIntervalMs: z.number().int().positive().nullish(),
    stuckTimeoutSeconds: z.number().positive().nullish(),
    createExecutor: z.custom<(address: string) => Executor>((value) => typeof value === 'function', 'expected a function').nullish(),
    startScheduler: z.custom<(host: string) => Promise<DaskScheduler>>((value) => typeof value === 'function', 'expected a function').nullish(),
    kubeConfig: z
      .union([
        z.string().min(1),
        z.custom<KubeConfig>((value) => typeof (value as { getCurrentCluster?: unknown } | null)?.getCurrentCluster === 'function', 'expected a KubeConfig'),
      ])
      .nullish(),
    api: z.custom<KubernetesApi>((value) => typeof (value as { createJob?: unknown } | null)?.createJob === 'function', 'expected a KubernetesApi').nullish(),
  })
  .strict()
  .superRefine((options, context) => {
    const minimum = options.minWorkers ?? 1;
    const maximum = options.maxWorkers ?? 2;
    if (minimum > maximum) {
      context.addIssue({ code: 'custom', path: ['maxWorkers'], message: `maxWorkers (${maximum}) must be at least minWorkers (${minimum})` });
    }
  });
