import type { V1LocalObjectReference } from '@kubernetes/client-node';

/** The pull Secret `setup` creates with `privateRegistry`: `<namespace>-docker` (0.11's name). */
export function dockerSecretName(namespace: string): string {
  return `${namespace}-docker`;
}

/** The spec's pull secrets plus `name`, unless it is there already (0.11 set a one-item list and skipped custom specs). */
export function withPullSecret(existing: readonly V1LocalObjectReference[] | null | undefined, name: string): V1LocalObjectReference[] {
  const secrets = (existing ?? []).map((secret) => ({ ...secret }));
  return secrets.some((secret) => secret.name === name) ? secrets : [...secrets, { name }];
}
