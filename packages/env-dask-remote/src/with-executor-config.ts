import { Config, isConfigTree, type ConfigTree } from '@flowenv/core';

/** `config` with `engine.executor.default_class` set to `executor`, as 0.11 set it for the run. */
export function withExecutorConfig(config: Config, executor: string): Config {
  const section = (path: string): ConfigTree => {
    const value = config.get(path);
    return isConfigTree(value) ? value : {};
  };
  return new Config({
    ...config.tree,
    engine: { ...section('engine'), executor: { ...section('engine.executor'), default_class: executor } },
  });
}
