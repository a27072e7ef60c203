import { parseArgs } from 'node:util';
import { loadConfig, loadExecutor, loadFlow, loadFlowRunnerClass, loadTaskRunnerClass, runContextFromConfig } from '@flowenv/core';
import { formatRunSummary, formatTaskProgress } from '../format-run.js';
import type { CommandIo } from '../io.js';
import { parseParameters } from '../parse-parameters.js';
import { UsageError } from '../usage-error.js';

export const runUsage = `flowenv run <flow-file> [--param name=value]… [--executor module#Export] [--quiet] [--json]

Runs the flow here, now, with no services: LocalExecutor unless --executor (or
PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS) names another, e.g. @flowenv/core#LocalParallelExecutor.
Exit code 0 when every task succeeded, 1 otherwise, 2 on bad input.`;

export async function runCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      param: { type: 'string', multiple: true, short: 'p' },
      executor: { type: 'string', short: 'e' },
      quiet: { type: 'boolean', short: 'q' },
      json: { type: 'boolean' },
    },
  });
  const [flowFile, ...extra] = positionals;
  if (flowFile === undefined || extra.length > 0) throw new UsageError(`usage: ${runUsage.split('\n')[0]}`);

  const flow = await loadFlow(flowFile);
  const parameters = parseParameters(values.param ?? []);
  const config = loadConfig();
  // Runner classes first: if one cannot load, no executor (threads, connections) was started.
  const [FlowRunnerClass, taskRunnerClass] = await Promise.all([
    loadFlowRunnerClass(String(config.get('engine.flow_runner.default_class'))),
    loadTaskRunnerClass(String(config.get('engine.task_runner.default_class'))),
  ]);
  const executor = await loadExecutor(values.executor ?? String(config.get('engine.executor.default_class')));
  const progress = values.quiet || values.json
    ? undefined
    : (taskName: string, state: Parameters<typeof formatTaskProgress>[1]): void => {
      const line = formatTaskProgress(taskName, state);
      if (line !== undefined) io.stderr(line);
    };
  try {
    const result = await new FlowRunnerClass({ flow, taskRunnerClass }).run({
      parameters,
      executor,
      runContext: runContextFromConfig(config),
      ...(progress === undefined ? {} : { onTaskState: progress }),
    });
    io.stdout(values.json ? JSON.stringify(result, null, 2) : formatRunSummary(result));
    return result.state === 'Success' ? 0 : 1;
  } finally {
    await executor.close?.();
  }
}
