import { resolveNamespace } from '@flowenv/core';

/** Every place a run's namespace can come from, most specific first. */
export interface NamespaceSources {
  /** The `namespace` option. */
  option?: string | undefined;
  /** The run context (PREFECT__CONTEXT__NAMESPACE, set by agents). */
  context?: string | undefined;
  /** The spec file's `metadata.namespace`. */
  spec?: string | undefined;
  /** The kubeconfig's current context, or the pod's own namespace inside a cluster. */
  kubeConfig?: string | undefined;
}

/**
 * The namespace a Job is created in: the option, then the run context, then the spec file, then
 * the kubeconfig context, then "default". 0.11 used the context only (undefined when unset) and
 * ignored the spec's namespace (spec §9.6, §9.7).
 */
export function resolveJobNamespace(sources: NamespaceSources): string {
  for (const candidate of [sources.option, sources.context, sources.spec, sources.kubeConfig]) {
    if (candidate !== undefined && candidate !== '') return candidate;
  }
  return resolveNamespace(undefined);
}
