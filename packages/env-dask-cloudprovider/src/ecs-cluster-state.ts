import type { Logger } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import type { ClusterIdentity } from './cluster-identity.js';
import type { CreatedResource } from './created-resource.js';
import type { TlsMaterial } from './dask-tls-environment.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import type { AwsCallContext } from './map-aws-error.js';
import type { CertificateFiles } from './temporary-certificates.js';

/** Test seams for everything that waits. */
export interface Clock {
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
}

/** Everything one ECS Dask cluster has and knows, from the first AWS call to the last. */
export interface EcsClusterState {
  identity: ClusterIdentity;
  settings: EcsClusterSettings;
  clients: AwsClients;
  logger: Logger;
  callContext: Omit<AwsCallContext, 'action'>;
  clock: Clock;
  /** What exists because of this cluster and is not yet removed, in creation order. */
  resources: CreatedResource[];
  region?: string;
  /** Where the tasks run (given or created). */
  clusterArn?: string;
  subnets?: string[];
  securityGroups?: string[];
  logGroupName?: string;
  taskDefinitions?: { scheduler: string; worker: string };
  tls?: TlsMaterial;
  /** ARN of the secret holding `tls`, which the task definitions reference. */
  tlsSecretArn?: string;
  /** Temporary certificate files for the DaskExecutor (deleted at close). */
  certificateFiles?: CertificateFiles;
  schedulerTaskArn?: string;
  schedulerAddress?: string;
  /** Running worker task ARNs, oldest first. */
  workers: string[];
  /** Scaling steps so far (idempotency tokens of RunTask). */
  scalingSteps: number;
}
