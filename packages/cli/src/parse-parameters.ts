import { UsageError } from './usage-error.js';

/**
 * `--param name=value` pairs → parameter values. A value that reads as JSON (numbers, true,
 * false, null, quoted strings, arrays, objects) is that value; anything else is the plain string.
 */
export function parseParameters(pairs: readonly string[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--param expects name=value, got "${pair}"`);
    const name = pair.slice(0, equals);
    const raw = pair.slice(equals + 1);
    parameters[name] = parseValue(raw);
  }
  return parameters;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
