const validLabelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A value Kubernetes accepts as a label value (at most 63 characters: letters, digits, `-`, `_`, `.`,
 * starting and ending with a letter or digit). Valid values (UUIDs, "unknown") are kept; anything
 * else has its other characters replaced by `_`, is cut to 63 characters and trimmed, so a flow run
 * id in an unusual format cannot make the API server reject the whole Job (0.11 sent it as it was).
 */
export function toLabelValue(value: string): string {
  if (value.length <= 63 && validLabelValue.test(value)) return value;
  return value
    .replace(/[^-A-Za-z0-9_.]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}
