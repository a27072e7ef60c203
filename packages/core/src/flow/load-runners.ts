import { FlowenvError } from '../errors/flowenv-error.js';
import { loadModuleExport } from '../executor/load-module-export.js';
import { FlowRunner, type TaskRunnerClass } from './flow-runner.js';
import { TaskRunner } from './task-runner.js';

export type FlowRunnerClass = typeof FlowRunner;

/** Prefect's runner class paths (as agents inject them) name flowenv's runners. */
const runnerAliases: Readonly<Record<string, string>> = {
  'prefect.engine.cloud.CloudFlowRunner': '@flowenv/core#FlowRunner',
  'prefect.engine.flow_runner.FlowRunner': '@flowenv/core#FlowRunner',
  'prefect.engine.cloud.CloudTaskRunner': '@flowenv/core#TaskRunner',
  'prefect.engine.task_runner.TaskRunner': '@flowenv/core#TaskRunner',
};

/** The flow runner class `engine.flow_runner.default_class` names (PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS). */
export async function loadFlowRunnerClass(specifier: string): Promise<FlowRunnerClass> {
  const canonical = runnerAliases[specifier] ?? specifier;
  if (canonical === '@flowenv/core#FlowRunner') return FlowRunner;
  return asClass(await loadModuleExport(canonical, { code: 'EXECUTOR_NOT_FOUND', what: 'flow runner' }), specifier) as FlowRunnerClass;
}

/** The task runner class `engine.task_runner.default_class` names (PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS). */
export async function loadTaskRunnerClass(specifier: string): Promise<TaskRunnerClass> {
  const canonical = runnerAliases[specifier] ?? specifier;
  if (canonical === '@flowenv/core#TaskRunner') return TaskRunner;
  return asClass(await loadModuleExport(canonical, { code: 'EXECUTOR_NOT_FOUND', what: 'task runner' }), specifier) as TaskRunnerClass;
}

function asClass(value: unknown, specifier: string): unknown {
  if (typeof value !== 'function') {
    throw new FlowenvError({ code: 'EXECUTOR_NOT_FOUND', message: `Runner "${specifier}" is not a class` });
  }
  return value;
}
