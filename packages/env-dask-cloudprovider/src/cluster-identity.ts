import { randomBytes } from 'node:crypto';

/** What names and tags one cluster's resources. */
export interface ClusterIdentity {
  /** The run the cluster serves: the flow run id, else a random UUID. Tagged as `flowenv:run`. */
  runId: string;
  /**
   * `flowenv-dask-<8 hex>`: names the run-scoped resources and is the tasks' `startedBy`. Random
   * per cluster, so a retried run never collides with what an earlier attempt left.
   */
  name: string;
}

export function newClusterIdentity(runId: string): ClusterIdentity {
  return { runId, name: `flowenv-dask-${randomBytes(4).toString('hex')}` };
}
