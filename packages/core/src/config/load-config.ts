import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FlowenvError } from '../errors/flowenv-error.js';
import { isConfigTree, type ConfigTree, type ConfigValue } from './config-tree.js';
import { decodeEscapes, expandVariables, type VariableSource } from './expand-variables.js';
import { interpolateReferences } from './interpolate-references.js';
import { interpretValue } from './interpret-value.js';

/**
 * The packaged defaults, the first layer of every loaded config. Same keys as Prefect 0.11's
 * `config.toml` where flowenv uses them; class paths name flowenv modules instead of Python classes.
 */
export const defaultConfig: ConfigTree = deepFreeze({
  debug: false,
  // Which `<backend>.endpoint` the API defaults to (0.11: `cloud.api = "${${backend}.endpoint}"`).
  backend: 'server',
  server: {
    host: 'http://localhost',
    port: 4200,
    endpoint: '${server.host}:${server.port}',
  },
  cloud: {
    endpoint: 'https://api.prefect.io',
    // Agents set PREFECT__CLOUD__API for the runs they start; this is only the fallback.
    api: '${${backend}.endpoint}',
    graphql: '${cloud.api}/graphql/alpha',
    auth_token: '',
    use_local_secrets: true,
    agent: { auth_token: '' },
  },
  engine: {
    executor: { default_class: '@flowenv/core#LocalExecutor' },
    flow_runner: { default_class: '@flowenv/core#FlowRunner' },
    task_runner: { default_class: '@flowenv/core#TaskRunner' },
  },
  logging: {
    level: 'INFO',
    log_to_cloud: false,
    extra_loggers: [],
  },
  context: {},
});

/**
 * Keys no config section may use (spec 6.6 item 6): the members of {@link Config}; the methods of
 * 0.11's dict-based config object, so a config accepted here is accepted there; and the names that
 * would reach a plain object's prototype.
 */
const reservedKeys: ReadonlySet<string> = new Set([
  'get',
  'getString',
  'tree',
  'toJSON',
  'keys',
  'values',
  'items',
  'copy',
  'update',
  'pop',
  'popitem',
  'setdefault',
  'clear',
  'fromkeys',
  'to_dict',
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * Run-identity values that must stay text even when they look like numbers (a flow run id
 * `12345`, an image tag `1.10`): 0.11 turned them into numbers (spec §9 item 20).
 */
const stringOnlyKeys: readonly (readonly string[])[] = [
  ['context', 'flow_run_id'],
  ['context', 'flow_id'],
  ['context', 'namespace'],
  ['context', 'image'],
  ['context', 'flow_file_path'],
  ['context', 'identifier'],
];

const environmentPrefix = 'PREFECT__';

/**
 * A loaded, read-only configuration. Values are typed once, at load time; nothing downstream parses
 * them again (spec §9 item 2).
 */
export class Config {
  /** The whole configuration as a plain nested object (deeply frozen). */
  readonly tree: ConfigTree;

  constructor(tree: ConfigTree) {
    this.tree = deepFreeze(cloneTree(tree));
  }

  /** The value at a dotted path (`cloud.agent.auth_token`), or undefined when any part is missing. */
  get(path: string): ConfigValue | undefined {
    let current: ConfigValue = this.tree;
    for (const part of path.split('.')) {
      if (!isConfigTree(current) || !Object.hasOwn(current, part)) return undefined;
      current = current[part] as ConfigValue;
    }
    return current;
  }

  /**
   * The value at `path` as text: strings as they are, numbers and booleans in their JavaScript
   * form (`4200`, `true`), `fallback` for anything else or when missing.
   */
  getString(path: string, fallback: string): string {
    const value = this.get(path);
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return fallback;
  }

  toJSON(): ConfigTree {
    return this.tree;
  }
}

export interface LoadConfigOptions {
  /** Where `PREFECT__…` variables, `$VAR` and `~` come from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A JSON file layered over the defaults. A path must exist (else CONFIG_FILE_NOT_FOUND); `null`
   * means none. Default: PREFECT__USER_CONFIG_PATH (must exist too), else
   * `~/.flowenv/config.json` when that file exists.
   */
  userConfigPath?: string | null;
  /** The bottom layer. Default: {@link defaultConfig}. */
  defaults?: ConfigTree;
}

/**
 * Loads the configuration the way a flow container reads it (spec 6.6): defaults → user JSON file →
 * `PREFECT__A__B=value` variables (as key `a.b`) → `${a.b}` references.
 *
 * Variables: the name after `PREFECT__` splits on `__` and is lower-cased, except the secret name in
 * `PREFECT__CONTEXT__SECRETS__<Name>`; the value gets its backslash escapes decoded, `$VAR` and `~`
 * expanded, then a type once ({@link interpretValue}: `10` → 10, `['a']` → a list), except the
 * run-identity keys under `context` (flow_run_id, flow_id, namespace, image, flow_file_path,
 * identifier), which stay strings. String values from the defaults and the file get `$VAR`/`~`
 * expansion too, and a type only when that expansion changed them.
 *
 * Throws FlowenvError CONFIG_INVALID for a reserved key (`keys`, `get`, …), an empty key part or a
 * malformed file, and CONFIG_FILE_NOT_FOUND for a named file that does not exist.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const defaults = options.defaults ?? defaultConfig;
  checkKeys(defaults, 'the default configuration');
  const tree = cloneTree(defaults);

  const userConfig = readUserConfig(options.userConfigPath, env);
  if (userConfig !== undefined) mergeInto(tree, userConfig);

  expandStrings(tree, [], env);
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (name.startsWith(environmentPrefix) && value !== undefined) applyVariable(tree, name, value, env);
  }
  interpolateReferences(tree);
  keepRunIdentityAsText(tree);
  return new Config(tree);
}

function readUserConfig(option: string | null | undefined, env: VariableSource): ConfigTree | undefined {
  if (option === null) return undefined;
  const named = option ?? env.PREFECT__USER_CONFIG_PATH;
  if (named !== undefined && named !== '') return readConfigFile(expandVariables(named, env), true);
  const fallback = join(env.HOME ?? homedir(), '.flowenv', 'config.json');
  return existsSync(fallback) ? readConfigFile(fallback, false) : undefined;
}

function readConfigFile(path: string, named: boolean): ConfigTree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new FlowenvError({
      code: missing ? 'CONFIG_FILE_NOT_FOUND' : 'CONFIG_INVALID',
      message: missing
        ? `Config file ${path} does not exist: create it, or fix the path${named ? ' (userConfigPath / PREFECT__USER_CONFIG_PATH)' : ''}`
        : `Config file ${path} cannot be read: check that it is a readable file`,
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FlowenvError({
      code: 'CONFIG_INVALID',
      message: `Config file ${path} is not valid JSON: fix the syntax (${(error as Error).message})`,
      cause: error,
    });
  }
  if (!isConfigTree(parsed)) {
    throw new FlowenvError({
      code: 'CONFIG_INVALID',
      message: `Config file ${path} must hold a JSON object of sections, like {"logging": {"level": "DEBUG"}}`,
    });
  }
  checkKeys(parsed, `config file ${path}`);
  return parsed;
}

function checkKeys(tree: ConfigTree, source: string, path: readonly string[] = []): void {
  for (const [key, value] of Object.entries(tree)) {
    if (reservedKeys.has(key)) {
      throw new FlowenvError({
        code: 'CONFIG_INVALID',
        message: `Invalid config key "${[...path, key].join('.')}" in ${source}: "${key}" is reserved by the config object; rename the key`,
      });
    }
    if (isConfigTree(value)) checkKeys(value, source, [...path, key]);
  }
}

/** Sections merge key by key; any other value replaces what the lower layer had. */
function mergeInto(target: ConfigTree, source: ConfigTree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isConfigTree(existing) && isConfigTree(value)) mergeInto(existing, value);
    else setOwn(target, key, cloneValue(value));
  }
}

function expandStrings(tree: ConfigTree, path: readonly string[], env: VariableSource): void {
  for (const [key, value] of Object.entries(tree)) {
    const keyPath = [...path, key];
    if (isConfigTree(value)) {
      expandStrings(value, keyPath, env);
    } else if (typeof value === 'string') {
      const expanded = expandVariables(value, env);
      // A file's own strings are already what the user typed; only a substituted value needs a type.
      if (expanded !== value) setOwn(tree, key, isStringOnly(keyPath) ? expanded : interpretValue(expanded));
    }
  }
}

function applyVariable(tree: ConfigTree, name: string, raw: string, env: VariableSource): void {
  const path = keyPathOf(name);
  for (const part of path) {
    if (part === '') {
      throw new FlowenvError({
        code: 'CONFIG_INVALID',
        message: `Invalid config variable ${name}: a key part is empty; separate parts with exactly two underscores (PREFECT__SECTION__KEY)`,
      });
    }
    if (reservedKeys.has(part)) {
      throw new FlowenvError({
        code: 'CONFIG_INVALID',
        message: `Invalid config key "${part}" in ${name}: it is reserved by the config object; rename or unset the variable`,
      });
    }
  }
  const text = expandVariables(decodeEscapes(raw), env);
  setPath(tree, path, isStringOnly(path) ? text : interpretValue(text));
}

/**
 * `PREFECT__LOGGING__LEVEL` → `['logging', 'level']`. Env names are upper-case by convention, keys
 * lower-case; a secret's name is the one part whose case matters (`PREFECT__CONTEXT__SECRETS__myKey`).
 */
function keyPathOf(name: string): string[] {
  const parts = name.slice(environmentPrefix.length).split('__');
  const lowered = parts.map((part) => part.toLowerCase());
  // 0.11 matched a bare `CONTEXT__SECRETS…` prefix; the evident intent is the secret-name part only.
  if (parts.length >= 3 && lowered[0] === 'context' && lowered[1] === 'secrets') {
    lowered[lowered.length - 1] = parts[parts.length - 1] as string;
  }
  return lowered;
}

/** Creates sections on the way; a variable always wins over a scalar that sat where a section goes. */
function setPath(tree: ConfigTree, path: readonly string[], value: ConfigValue): void {
  let section = tree;
  for (const part of path.slice(0, -1)) {
    const existing = Object.hasOwn(section, part) ? section[part] : undefined;
    if (isConfigTree(existing)) {
      section = existing;
    } else {
      const created: ConfigTree = {};
      setOwn(section, part, created);
      section = created;
    }
  }
  setOwn(section, path[path.length - 1] as string, value);
}

function keepRunIdentityAsText(tree: ConfigTree): void {
  for (const path of stringOnlyKeys) {
    const [section, key] = path as [string, string];
    const context = tree[section];
    if (!isConfigTree(context) || !Object.hasOwn(context, key)) continue;
    const value = context[key];
    // Values that arrived typed (a JSON number, a `${…}` reference to one) become text here.
    if (typeof value === 'number' || typeof value === 'boolean') setOwn(context, key, String(value));
  }
}

function isStringOnly(path: readonly string[]): boolean {
  return stringOnlyKeys.some((candidate) => candidate.length === path.length && candidate.every((part, index) => part === path[index]));
}

/** The loader works on its own copy; this is where that copy is written. */
function setOwn(tree: ConfigTree, key: string, value: ConfigValue): void {
  Object.defineProperty(tree, key, { value, enumerable: true, writable: true, configurable: true });
}

function cloneTree(tree: ConfigTree): ConfigTree {
  const copy: ConfigTree = {};
  for (const [key, value] of Object.entries(tree)) setOwn(copy, key, cloneValue(value));
  return copy;
}

function cloneValue(value: ConfigValue): ConfigValue {
  if (Array.isArray(value)) return value.map((item: ConfigValue) => cloneValue(item));
  if (isConfigTree(value)) return cloneTree(value);
  return value;
}

function deepFreeze<T extends ConfigValue>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item as ConfigValue);
    Object.freeze(value);
  }
  return value;
}
