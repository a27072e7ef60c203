import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FlowenvError } from '../errors/flowenv-error.js';
import { formatPythonList } from './interpret-value.js';
import type { ConfigTree } from './config-tree.js';
import { Config, defaultConfig, loadConfig } from './load-config.js';

// The TOML template of Prefect's tests/test_configuration.py, as a defaults tree.
const template: ConfigTree = {
  debug: false,
  general: {
    x: 1,
    y: 'hi',
    nested: { x: '${general.x}', x_interpolated: '${general.x} + 1', y: '${general.y} or bye' },
  },
  interpolation: { key: 'x', value: '${general.nested.${interpolation.key}}', bad_value: '${general.bad_key}' },
  env_vars: {
    interpolated_path: '$PATH',
    interpolated_from_non_string_key_bool: '${env_vars.true}',
    interpolated_from_non_string_key_string: '${env_vars.true} string',
    not_interpolated_path: 'xxx$PATHxxx',
  },
  logging: { format: 'log-format' },
  secrets: { password: '1234', very_private: '000' },
};

// The variables of that test module's `config` fixture.
const fixtureEnv = {
  PREFECT__ENV_VARS__NEW_KEY: 'TEST',
  PREFECT__ENV_VARS__TWICE__NESTED__NEW_KEY: 'TEST',
  PREFECT__ENV_VARS__TRUE: 'true',
  PREFECT__ENV_VARS__FALSE: 'false',
  PREFECT__ENV_VARS__INT: '10',
  PREFECT__ENV_VARS__NEGATIVE_INT: '-10',
  PREFECT__ENV_VARS__FLOAT: '7.5',
  PREFECT__ENV_VARS__NEGATIVE_FLOAT: '-7.5',
  PREFECT__CONTEXT__SECRETS__AWS_CREDENTIALS: '{"ACCESS_KEY": "abcdef", "SECRET_ACCESS_KEY": "ghijklmn"}',
  PATH: '1/2/3',
  PREFECT__ENV_VARS__ESCAPED_CHARACTERS: 'line 1\nline 2\rand 3\tand 4',
};

function load(env: Record<string, string | undefined>, defaults: ConfigTree = template): Config {
  return loadConfig({ env, defaults, userConfigPath: null });
}

function expectConfigError(run: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(FlowenvError.isInstance(caught)).toBe(true);
  expect((caught as FlowenvError).code).toBe(code);
  expect((caught as FlowenvError).message).toMatch(message);
}

const temporaryDirectories: string[] = [];
function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'flowenv-config-'));
  temporaryDirectories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('loadConfig: the ported test_configuration.py fixture', () => {
  const config = load(fixtureEnv);

  it('test_keys', () => {
    expect(config.tree).toHaveProperty('debug');
    expect(config.tree).toHaveProperty('general');
    expect(config.get('general.nested')).toBeDefined();
    expect(config.get('x')).toBeUndefined();
  });

  it('test_dicts_are_created', () => {
    expect(config.get('context.secrets.AWS_CREDENTIALS')).toEqual({ ACCESS_KEY: 'abcdef', SECRET_ACCESS_KEY: 'ghijklmn' });
  });

  it('test_debug and test_general', () => {
    expect(config.get('debug')).toBe(false);
    expect(config.get('general.x')).toBe(1);
    expect(config.get('general.y')).toBe('hi');
  });

  it('test_general_nested', () => {
    expect(config.get('general.nested.x')).toBe(1);
    expect(config.get('general.nested.x_interpolated')).toBe('1 + 1');
    expect(config.get('general.nested.y')).toBe('hi or bye');
  });

  it('test_interpolation: nested references resolve inside out', () => {
    expect(config.get('interpolation.value')).toBe(1);
  });

  it('test_env_var_interpolation: $VAR in a default expands', () => {
    expect(config.get('env_vars.interpolated_path')).toBe('1/2/3');
  });

  it('test_env_var_interpolation_with_type_assignment', () => {
    expect(config.get('env_vars.true')).toBe(true);
    expect(config.get('env_vars.false')).toBe(false);
    expect(config.get('env_vars.int')).toBe(10);
    expect(config.get('env_vars.negative_int')).toBe(-10);
    expect(config.get('env_vars.float')).toBe(7.5);
    expect(config.get('env_vars.negative_float')).toBe(-7.5);
  });

  it('test_env_var_interpolation_with_type_interpolation: whole references keep the type, partial ones stringify', () => {
    expect(config.get('env_vars.interpolated_from_non_string_key_bool')).toBe(true);
    expect(config.get('env_vars.interpolated_from_non_string_key_string')).toBe('True string');
  });

  it('test_env_var_interpolation_doesnt_match_internal_dollar_sign', () => {
    expect(config.get('env_vars.not_interpolated_path')).toBe('xxx$PATHxxx');
  });

  it('test_env_var_interpolation_with_nonexistant_key', () => {
    expect(config.get('interpolation.bad_value')).toBe('');
  });

  it('test_env_var_overrides_new_key and test_env_var_creates_nested_keys', () => {
    expect(config.get('env_vars.new_key')).toBe('TEST');
    expect(config.get('env_vars.twice.nested.new_key')).toBe('TEST');
  });

  it('test_env_var_escaped: real control characters survive', () => {
    expect(config.get('env_vars.escaped_characters')).toBe('line 1\nline 2\rand 3\tand 4');
  });

  it('leaves sections that no variable touches alone', () => {
    expect(config.get('logging.format')).toBe('log-format');
    expect(config.get('secrets')).toEqual({ password: '1234', very_private: '000' });
  });
});

describe('loadConfig: variables', () => {
  it('decodes backslash escapes written as text', () => {
    const config = load({ PREFECT__A__B: 'line 1\\nline 2\\rand 3\\tand 4', PREFECT__A__C: 'C:\\\\dir', PREFECT__A__D: 'keep \\d' });
    expect(config.get('a.b')).toBe('line 1\nline 2\rand 3\tand 4');
    expect(config.get('a.c')).toBe('C:\\dir');
    expect(config.get('a.d')).toBe('keep \\d');
  });

  it('expands $VAR, ${VAR} and ~ repeatedly, and leaves unset variables alone', () => {
    const config = load(
      {
      HOME: '/home/flow',
      OUTER: '$INNER/x',
      INNER: '${DEEPER}y',
      DEEPER: 'z',
      PREFECT__A__NESTED: '$OUTER',
      PREFECT__A__HOME: '~/flows',
      PREFECT__A__UNSET: '$NOT_SET and ${server.host}',
      PREFECT__A__PORT: '$PORT_NUMBER',
      PORT_NUMBER: '8080',
      },
      { server: { host: 'http://localhost' } },
    );
    expect(config.get('a.nested')).toBe('zy/x');
    expect(config.get('a.home')).toBe('/home/flow/flows');
    // An unset `${NAME}` is left for the `${dotted.key}` references that follow.
    expect(config.get('a.unset')).toBe('$NOT_SET and http://localhost');
    expect(config.get('a.port')).toBe(8080);
  });

  it('a single part names a top-level key', () => {
    expect(load({ PREFECT__DEBUG: 'true' }).get('debug')).toBe(true);
  });

  it('ignores variables without the PREFECT__ prefix', () => {
    const config = load({ PREFECT_DEBUG: 'true', prefect__debug: 'true', OTHER__DEBUG: 'true' });
    expect(config.get('debug')).toBe(false);
  });

  it('test_env_vars_are_interpolated_as_lower_case: file keys keep their case, variables are lower-cased', () => {
    const config = load({ PREFECT__SECTION__KEY: '2' }, { SeCtIoN: { KeY: 1 } });
    expect(config.get('SeCtIoN.KeY')).toBe(1);
    expect(config.get('section.key')).toBe(2);
  });

  it('test_mixed_case_keys_are_ok', () => {
    expect(load({}, { SeCtIoN: { KeY: 1 } }).get('SeCtIoN.KeY')).toBe(1);
  });

  it('test_env_vars_for_secrets_alone_are_not_lower_cased (run ids stay strings: defect 20)', () => {
    const config = load(
      {
        PREFECT__CONTEXT__SECRETS__mY_spECIal_kEY: '42',
        PREFECT__CONTEXT__strange_VAlUE: 'false',
        PREFECT__CONTEXT__FLOW_RUN_ID: '12345',
        PREFECT__CONTEXT__FLOW_ID: '56789',
      },
      { context: { spECIAL_TOP_key: 'foo', secrets: { KeY: 1 } } },
    );
    expect(config.get('context.secrets.mY_spECIal_kEY')).toBe(42);
    expect(config.get('context.secrets.KeY')).toBe(1);
    expect(config.get('context.spECIAL_TOP_key')).toBe('foo');
    expect(config.get('context.strange_value')).toBe(false);
    expect(config.get('context.flow_run_id')).toBe('12345');
    expect(config.get('context.flow_id')).toBe('56789');
  });

  it('lower-cases the sections above a secret name', () => {
    expect(load({ PREFECT__Context__Secrets__MixedName: 'x' }, {}).get('context.secrets.MixedName')).toBe('x');
    // Two parts name the secrets section itself, not a secret called "SECRETS".
    expect(load({ PREFECT__CONTEXT__SECRETS: "{'A': 'b'}" }, {}).get('context.secrets')).toEqual({ A: 'b' });
  });

  it('keeps every run-identity context value as text', () => {
    const config = load({
      PREFECT__CONTEXT__FLOW_RUN_ID: '12345',
      PREFECT__CONTEXT__FLOW_ID: '0123',
      PREFECT__CONTEXT__NAMESPACE: 'True',
      PREFECT__CONTEXT__IMAGE: '1.10',
      PREFECT__CONTEXT__FLOW_FILE_PATH: 'None',
      PREFECT__CONTEXT__IDENTIFIER: '[1]',
      PREFECT__CONTEXT__OTHER: '12345',
    });
    expect(config.get('context')).toEqual({
      flow_run_id: '12345',
      flow_id: '0123',
      namespace: 'True',
      image: '1.10',
      flow_file_path: 'None',
      identifier: '[1]',
      other: 12345,
    });
  });

  it('turns run-identity values that arrive typed from a file or a reference into text', () => {
    const config = load({ PREFECT__CONTEXT__FLOW_ID: '${general.x}' }, { general: { x: 7 }, context: { flow_run_id: 12345, image: true } });
    expect(config.get('context.flow_run_id')).toBe('12345');
    expect(config.get('context.flow_id')).toBe('7');
    expect(config.get('context.image')).toBe('true');
  });

  it('reads Python literals: numbers, lists and dicts', () => {
    const config = load({
      PREFECT__A__INT: '10',
      PREFECT__A__FLOAT: '-7.5',
      PREFECT__A__LIST: "['a', 'b']",
      PREFECT__A__DICT: '{"ACCESS_KEY": "abcdef"}',
      PREFECT__A__UUID: '4f8a2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      PREFECT__A__NONE: 'None',
    });
    expect(config.get('a')).toEqual({
      int: 10,
      float: -7.5,
      list: ['a', 'b'],
      dict: { ACCESS_KEY: 'abcdef' },
      uuid: '4f8a2b9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
      none: null,
    });
  });

  it('types a value once: "[]" from the environment stays a list and formats back to "[]" (defect 2)', () => {
    const config = loadConfig({ env: { PREFECT__LOGGING__EXTRA_LOGGERS: '[]' }, userConfigPath: null });
    const loggers = config.get('logging.extra_loggers');
    expect(loggers).toEqual([]);
    expect(formatPythonList(loggers as string[])).toBe('[]');
    const named = loadConfig({ env: { PREFECT__LOGGING__EXTRA_LOGGERS: "['test_logger']" }, userConfigPath: null });
    expect(formatPythonList(named.get('logging.extra_loggers') as string[])).toBe("['test_logger']");
  });

  it('a quoted literal is its text, not re-parsed', () => {
    expect(load({ PREFECT__A__B: `"['a']"` }).get('a.b')).toBe("['a']");
  });

  it('a variable replaces a scalar where it needs a section, and a section where it sets a value', () => {
    const config = load({ PREFECT__GENERAL__X__DEEP: '1', PREFECT__LOGGING: 'off' });
    expect(config.get('general.x')).toEqual({ deep: 1 });
    expect(config.get('logging')).toBe('off');
  });

  it('test_invalid_env_var_raises_error: a reserved key names the variable', () => {
    expectConfigError(() => load({ PREFECT__X__Y__KEYS__Z: 'TEST' }, {}), 'CONFIG_INVALID', /PREFECT__X__Y__KEYS__Z/);
    for (const reserved of ['GET', 'TREE', 'ITEMS', 'constructor', 'prototype']) {
      expectConfigError(() => load({ [`PREFECT__A__${reserved}`]: '1' }, {}), 'CONFIG_INVALID', /reserved/);
    }
    expectConfigError(() => load({ PREFECT__CONTEXT__SECRETS__get: '1' }, {}), 'CONFIG_INVALID', /"get"/);
  });

  it('rejects empty key parts', () => {
    expectConfigError(() => load({ PREFECT__A____B: '1' }, {}), 'CONFIG_INVALID', /PREFECT__A____B.*two underscores/);
    expectConfigError(() => load({ PREFECT__: '1' }, {}), 'CONFIG_INVALID', /empty/);
  });

  it('test_invalid_keys_raise_error: a reserved key in the defaults', () => {
    expectConfigError(() => load({}, { outer: { x: 1, keys: { a: 'b' } } }), 'CONFIG_INVALID', /outer\.keys/);
  });

  it('PREFECT__CONTEXT__FOO=bar seeds context.foo (item 9)', () => {
    expect(load({ PREFECT__CONTEXT__FOO: 'bar' }).get('context.foo')).toBe('bar');
  });
});

describe('loadConfig: defaults', () => {
  it('resolves the API chain for the server backend', () => {
    const config = loadConfig({ env: {}, userConfigPath: null });
    expect(config.get('backend')).toBe('server');
    expect(config.get('server.endpoint')).toBe('http://localhost:4200');
    expect(config.get('cloud.api')).toBe('http://localhost:4200');
    expect(config.get('cloud.graphql')).toBe('http://localhost:4200/graphql/alpha');
    expect(config.get('cloud.auth_token')).toBe('');
    expect(config.get('cloud.agent.auth_token')).toBe('');
    expect(config.get('cloud.use_local_secrets')).toBe(true);
    expect(config.get('engine.executor.default_class')).toBe('@flowenv/core#LocalExecutor');
    expect(config.get('engine.flow_runner.default_class')).toBe('@flowenv/core#FlowRunner');
    expect(config.get('engine.task_runner.default_class')).toBe('@flowenv/core#TaskRunner');
    expect(config.get('logging')).toEqual({ level: 'INFO', log_to_cloud: false, extra_loggers: [] });
    expect(config.get('debug')).toBe(false);
    expect(config.get('context')).toEqual({});
  });

  it('follows the backend and an agent-supplied API', () => {
    expect(loadConfig({ env: { PREFECT__BACKEND: 'cloud' }, userConfigPath: null }).get('cloud.graphql')).toBe('https://api.prefect.io/graphql/alpha');
    expect(loadConfig({ env: { PREFECT__SERVER__PORT: '5000' }, userConfigPath: null }).get('cloud.graphql')).toBe('http://localhost:5000/graphql/alpha');
    const agent = loadConfig({ env: { PREFECT__CLOUD__API: 'http://api.test:4200' }, userConfigPath: null });
    expect(agent.get('cloud.graphql')).toBe('http://api.test:4200/graphql/alpha');
  });

  it('is frozen, and loading does not change it', () => {
    expect(Object.isFrozen(defaultConfig)).toBe(true);
    loadConfig({ env: { PREFECT__LOGGING__LEVEL: 'DEBUG' }, userConfigPath: null });
    expect(defaultConfig).toMatchObject({ logging: { level: 'INFO' } });
  });
});

describe('loadConfig: the user config file', () => {
  function writeJson(directory: string, name: string, content: unknown): string {
    const path = join(directory, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  it('TestUserConfig.test_load_user_config: layered over the defaults, before interpolation', () => {
    const path = writeJson(temporaryDirectory(), 'config.json', { general: { x: 2 }, user: { foo: 'bar' } });
    const config = loadConfig({ env: {}, defaults: template, userConfigPath: path });
    expect(config.get('general.x')).toBe(2);
    expect(config.get('user.foo')).toBe('bar');
    expect(config.get('general.y')).toBe('hi');
    expect(config.get('general.nested.x')).toBe(2);
  });

  it('variables win over the file; $VAR in the file expands', () => {
    const path = writeJson(temporaryDirectory(), 'config.json', { logging: { level: 'WARNING' }, a: { port: '$PORT_NUMBER', text: '10' } });
    const config = loadConfig({ env: { PREFECT__LOGGING__LEVEL: 'DEBUG', PORT_NUMBER: '8080' }, userConfigPath: path });
    expect(config.get('logging.level')).toBe('DEBUG');
    expect(config.get('a.port')).toBe(8080);
    // A JSON string stays a string: the file already said what type it is.
    expect(config.get('a.text')).toBe('10');
  });

  it('is found through PREFECT__USER_CONFIG_PATH, with $VAR expanded', () => {
    const directory = temporaryDirectory();
    writeJson(directory, 'custom.json', { logging: { level: 'ERROR' } });
    const config = loadConfig({ env: { CONFIG_DIRECTORY: directory, PREFECT__USER_CONFIG_PATH: '$CONFIG_DIRECTORY/custom.json' } });
    expect(config.get('logging.level')).toBe('ERROR');
  });

  it('is found at ~/.flowenv/config.json, and its absence there is fine', () => {
    const home = temporaryDirectory();
    expect(loadConfig({ env: { HOME: home } }).get('logging.level')).toBe('INFO');
    mkdirSync(join(home, '.flowenv'));
    writeJson(join(home, '.flowenv'), 'config.json', { logging: { level: 'CRITICAL' } });
    expect(loadConfig({ env: { HOME: home } }).get('logging.level')).toBe('CRITICAL');
    expect(loadConfig({ env: { HOME: home }, userConfigPath: null }).get('logging.level')).toBe('INFO');
  });

  it('a named file that does not exist is an error', () => {
    const missing = join(temporaryDirectory(), 'missing.json');
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: missing }), 'CONFIG_FILE_NOT_FOUND', /missing\.json/);
    expectConfigError(() => loadConfig({ env: { PREFECT__USER_CONFIG_PATH: missing } }), 'CONFIG_FILE_NOT_FOUND', /PREFECT__USER_CONFIG_PATH/);
  });

  it('rejects malformed files and reserved keys in them', () => {
    const directory = temporaryDirectory();
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: writeJson(directory, 'bad.json', '{"a": ') }), 'CONFIG_INVALID', /not valid JSON/);
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: writeJson(directory, 'list.json', '[1]') }), 'CONFIG_INVALID', /JSON object/);
    expectConfigError(
      () => loadConfig({ env: {}, userConfigPath: writeJson(directory, 'keys.json', '{"outer": {"keys": {"a": "b"}}}') }),
      'CONFIG_INVALID',
      /outer\.keys.*keys\.json/,
    );
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: writeJson(directory, 'proto.json', '{"__proto__": {"x": 1}}') }), 'CONFIG_INVALID', /__proto__/);
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: writeJson(directory, 'api.json', '{"a": {"getString": 1}}') }), 'CONFIG_INVALID', /a\.getString/);
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: writeJson(directory, 'json.json', '{"toJSON": 1}') }), 'CONFIG_INVALID', /toJSON/);
    expectConfigError(() => loadConfig({ env: {}, userConfigPath: directory }), 'CONFIG_INVALID', /cannot be read/);
  });
});

describe('Config', () => {
  const config = new Config({ a: { b: 'text', n: 4200, t: true, list: ['x'] } });

  it('get walks dotted paths and never reaches the prototype', () => {
    expect(config.get('a.b')).toBe('text');
    expect(config.get('a.missing')).toBeUndefined();
    expect(config.get('a.b.c')).toBeUndefined();
    expect(config.get('a.toString')).toBeUndefined();
  });

  it('getString gives text for scalars and the fallback otherwise', () => {
    expect(config.getString('a.b', 'f')).toBe('text');
    expect(config.getString('a.n', 'f')).toBe('4200');
    expect(config.getString('a.t', 'f')).toBe('true');
    expect(config.getString('a.list', 'f')).toBe('f');
    expect(config.getString('a.missing', 'f')).toBe('f');
  });

  it('is deeply frozen and serializes as its tree', () => {
    expect(Object.isFrozen(config.get('a'))).toBe(true);
    expect(Object.isFrozen(config.get('a.list'))).toBe(true);
    expect(JSON.parse(JSON.stringify(config))).toEqual({ a: { b: 'text', n: 4200, t: true, list: ['x'] } });
  });
});
