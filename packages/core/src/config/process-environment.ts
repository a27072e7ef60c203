/**
 * A copy of this process's environment variables. The one place, with the config loader, where
 * flowenv reads process.env (providers go through these, never process.env directly).
 */
export function processEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** One environment variable of this process (cheaper than copying all of them). */
export function environmentVariable(name: string): string | undefined {
  return process.env[name];
}
