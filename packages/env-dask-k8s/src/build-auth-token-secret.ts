import { resolveFlowRunId } from '@flowenv/core';
import type { V1Secret } from '@kubernetes/client-node';
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './flow-container.js';
import { toLabelValue } from './label-value.js';

/** The key of the token in the Secrets flowenv writes (option `authTokenSecretKey`). */
export const DEFAULT_AUTH_TOKEN_SECRET_KEY = 'auth-token';

/** The name of a run's own token Secret: one per run, deleted with its Job. */
export function perRunSecretName(identifier: string): string {
  return `flowenv-auth-${identifier}`;
}

export interface AuthTokenSecretInput {
  name: string;
  namespace: string;
  key: string;
  /** The token; absent for `flowenv render`, which shows the Secret without its data. */
  token?: string | undefined;
  /**
   * The run, for a per-run Secret: it then carries the run's `prefect.io/` labels. A named Secret
   * (option `authTokenSecretName`) is shared by runs and only carries the managed-by label.
   */
  run?: { identifier: string; flowRunId?: string | undefined } | undefined;
}

/**
 * The Secret that holds the API token for the flow container's `secretKeyRef` (0.11 wrote the token
 * into the Job as a plain value, spec §9.18). `stringData`, so the API server does the base64.
 */
export function buildAuthTokenSecret(input: AuthTokenSecretInput): V1Secret {
  const labels: Record<string, string> = input.run === undefined
    ? { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }
    : {
        [IDENTIFIER_LABEL]: input.run.identifier,
        [FLOW_RUN_ID_LABEL]: toLabelValue(resolveFlowRunId(input.run.flowRunId)),
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: input.name, namespace: input.namespace, labels },
    type: 'Opaque',
    ...(input.token === undefined ? {} : { stringData: { [input.key]: input.token } }),
  };
}
