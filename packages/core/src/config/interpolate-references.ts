import { formatPythonLiteral } from './interpret-value.js';
import { isConfigTree, type ConfigTree, type ConfigValue } from './config-tree.js';

const maximumPasses = 10;
// The innermost `${…}`: no `$`, `{` or `}` inside, so `${a.${b}}` resolves `${b}` first.
const referencePattern = /\$\{(.[^${}]*)\}/;

/**
 * Replaces `${dotted.key}` references in the string values of `tree`, in place (spec 6.6 item 7).
 * A value that is exactly one reference takes the referenced value with its type; a reference
 * inside longer text is replaced by the value's Python `str()` form (so `True`, not `true`, and it
 * reads back to the same value); an unknown key or a section becomes "". Each pass resolves one
 * reference per value; references to references resolve over later passes, at most 10.
 */
export function interpolateReferences(tree: ConfigTree): void {
  for (let pass = 0; pass < maximumPasses; pass += 1) {
    if (!interpolateOnce(tree, tree)) return;
  }
}

function interpolateOnce(root: ConfigTree, section: ConfigTree): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(section)) {
    if (isConfigTree(value)) {
      changed = interpolateOnce(root, value) || changed;
      continue;
    }
    if (typeof value !== 'string') continue;
    const match = referencePattern.exec(value);
    if (match === null) continue;
    const [placeholder, dottedKey = ''] = match;
    const referenced = lookupValue(root, dottedKey);
    const replaced: ConfigValue =
      value === placeholder ? referenced : value.replace(placeholder, () => (typeof referenced === 'string' ? referenced : formatPythonLiteral(referenced)));
    // The working tree is the loader's private copy; it is frozen only once loading is done.
    (section as Record<string, ConfigValue>)[key] = replaced;
    changed = true;
  }
  return changed;
}

function lookupValue(root: ConfigTree, dottedKey: string): ConfigValue {
  let current: ConfigValue = root;
  for (const part of dottedKey.split('.')) {
    if (!isConfigTree(current) || !Object.hasOwn(current, part)) return '';
    current = current[part] as ConfigValue;
  }
  // 0.11 looked references up among leaf values only, so a whole section is not a value.
  return isConfigTree(current) ? '' : current;
}
