import { FlowenvError } from '../errors/flowenv-error.js';
import { registerSecretValue } from '../logging/logger.js';

/** Looks a secret's value up by name; undefined when this source does not have it. */
export type SecretSource = (name: string) => Promise<string | undefined> | string | undefined;

/**
 * Fetches each secret the storage names and returns the context's secrets with them added
 * (Prefect 0.11.0 crashed here: it treated the names as objects, spec §9.1). Values come from the
 * run context first (PREFECT__CONTEXT__SECRETS__<NAME>), then from `source`; every value is
 * registered for log masking.
 */
export async function resolveStorageSecrets(
  names: readonly string[],
  contextSecrets: Readonly<Record<string, string>>,
  source?: SecretSource,
): Promise<Record<string, string>> {
  const secrets: Record<string, string> = { ...contextSecrets };
  for (const name of names) {
    const value = secrets[name] ?? (await source?.(name));
    if (value === undefined) {
      throw new FlowenvError({
        code: 'SECRET_NOT_FOUND',
        message: `The flow's storage needs secret "${name}": set PREFECT__CONTEXT__SECRETS__${name} where the flow runs`,
      });
    }
    secrets[name] = value;
  }
  for (const value of Object.values(secrets)) registerSecretValue(value);
  return secrets;
}
