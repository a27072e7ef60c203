import { environmentOptionsSchema, executorOptionsSchema, type EnvironmentOptions } from '@flowenv/core';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubernetesApi } from './kubernetes-api.js';

export interface KubernetesJobEnvironmentOptions extends EnvironmentOptions {
  /**
   * A YAML file with the Job to submit (`apiVersion: batch/v1`, `kind: Job`, at least one
   * container). Read, parsed and checked once, when the environment is constructed; the path is
   * made absolute against the current directory. Default: a minimal Job (`prefect-job`, one
   * container named `flow`). Never serialized.
   */
  jobSpecFile?: string | null;
  /**
   * Give every run's Job its own name: the spec's name plus `-` and 8 characters of the run's
   * identifier (`prefect-job-1a2b3c4d`). Default `true` (0.11: `false`, so two runs of one flow
   * collided on the name). A spec with `metadata.generateName` and no name lets the API server pick.
   */
  uniqueJobName?: boolean | null;
  /** Options for the executor `engine.executor.default_class` names, inside the Job (default `{}`). */
  executorOptions?: Record<string, unknown> | null;
  /**
   * The namespace of the Job. Default: the run context's (PREFECT__CONTEXT__NAMESPACE), then the
   * spec's `metadata.namespace`, then the kubeconfig context's, then "default".
   */
  namespace?: string | null;
  /**
   * A Secret (in the Job's namespace) that holds the API token: the flow container reads
   * PREFECT__CLOUD__AUTH_TOKEN from it. When a token is configured (PREFECT__CLOUD__AUTH_TOKEN /
   * `cloud.auth_token`), execute() creates this Secret or updates the token in it; otherwise it must
   * exist. Default: none — a configured token then goes into a Secret of the run's own
   * (`flowenv-auth-<identifier>`), deleted with its Job. The token is never written into the Job.
   */
  authTokenSecretName?: string | null;
  /** The key of the token in that Secret (default `auth-token`). */
  authTokenSecretKey?: string | null;
  /**
   * How long a pod may stay stuck — pulling its image (ErrImagePull, ImagePullBackOff), missing its
   * config (CreateContainerConfigError), unschedulable — or the Job may stay without any pod (a
   * ResourceQuota, a missing ServiceAccount), before wait() reports the run Failed and deletes its Job. Default 120 s: a few image-pull back-off rounds. Raise it where a cluster
   * autoscaler adds nodes for new pods.
   */
  stuckTimeoutSeconds?: number | null;
  /**
   * The cluster: a KubeConfig of `@kubernetes/client-node`, or the path of a kubeconfig file.
   * Default: inside a pod, its service account (in-cluster config); otherwise KUBECONFIG, then
   * ~/.kube/config. Never serialized.
   */
  kubeConfig?: KubeConfig | string | null;
  /** The Kubernetes calls themselves, for tests and benchmarks (default: made from `kubeConfig`). */
  api?: KubernetesApi | null;
}

const dnsLabel = z.string().max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lower-case DNS-1123 label (letters, digits and -)');
const dnsSubdomain = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a lower-case DNS name (letters, digits, - and .)');

export const kubernetesJobOptionsSchema = environmentOptionsSchema
  .extend({
    jobSpecFile: z.string().min(1).nullish(),
    uniqueJobName: z.boolean().nullish(),
    executorOptions: executorOptionsSchema.nullish(),
    namespace: dnsLabel.nullish(),
    authTokenSecretName: dnsSubdomain.nullish(),
    authTokenSecretKey: z.string().max(253).regex(/^[-._a-zA-Z0-9]+$/, 'expected a Secret key (letters, digits, -, _ and .)').nullish(),
    stuckTimeoutSeconds: z.number().positive().nullish(),
    kubeConfig: z
      .union([
        z.string().min(1),
        z.custom<KubeConfig>((value) => typeof (value as { getCurrentCluster?: unknown } | null)?.getCurrentCluster === 'function', 'expected a KubeConfig'),
      ])
      .nullish(),
    api: z.custom<KubernetesApi>((value) => typeof (value as { createJob?: unknown } | null)?.createJob === 'function', 'expected a KubernetesApi').nullish(),
  })
  .strict();
