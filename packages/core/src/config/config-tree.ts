/** One configuration value: what JSON holds, and what a Python literal in a `PREFECT__…` variable reads as. */
export type ConfigValue = string | number | boolean | null | readonly ConfigValue[] | ConfigTree;

/** A configuration section: keys to values or nested sections (`cloud.agent.auth_token`). */
export interface ConfigTree {
  readonly [key: string]: ConfigValue;
}

/** True for a section (a plain object), false for scalars, null and lists. */
export function isConfigTree(value: unknown): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
