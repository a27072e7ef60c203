import type { RunContext } from '../config/context.js';
import { FlowenvError } from '../errors/flowenv-error.js';
import type { ExecutionPlan, Executor, TaskRuntime } from '../executor/executor.js';
import { LocalExecutor } from '../executor/local-executor.js';
import type { Flow } from './flow.js';
import type { FlowStateName, TaskState } from './state.js';
import type { TaskDefinition } from './task.js';
import { TaskRunner, type TaskStateListener } from './task-runner.js';

/** A task runner class as `engine.task_runner.default_class` may name it. */
export type TaskRunnerClass = new (task: TaskDefinition) => Pick<TaskRunner, 'run'>;

export interface FlowRunnerOptions {
  flow: Flow;
  /** The flow module's path, for executors that load the flow in another thread or process (default: `flow.location`). */
  flowLocation?: string | undefined;
  /** Default: TaskRunner. */
  taskRunnerClass?: TaskRunnerClass;
}

export interface FlowRunOptions {
  parameters?: Record<string, unknown>;
  /** Default: a new LocalExecutor. */
  executor?: Executor;
  runContext?: RunContext;
  onTaskState?: TaskStateListener;
}

export interface FlowRunResult {
  flowName: string;
  state: FlowStateName;
  message: string;
  parameters: Record<string, unknown>;
  /** Every task's final state, in dependency order. */
  tasks: Record<string, TaskState>;
  startedAt: number;
  finishedAt: number;
}

/**
 * Runs a flow: checks its graph and parameters before anything runs, hands the tasks to the
 * executor and sums the task states up. Selected by `engine.flow_runner.default_class`.
 */
export class FlowRunner {
  readonly flow: Flow;
  readonly flowLocation: string | undefined;
  private readonly taskRunnerClass: TaskRunnerClass;

  constructor(options: FlowRunnerOptions) {
    this.flow = options.flow;
    this.flowLocation = options.flowLocation ?? options.flow.location;
    this.taskRunnerClass = options.taskRunnerClass ?? TaskRunner;
  }

  async run(options: FlowRunOptions = {}): Promise<FlowRunResult> {
    const { flow } = this;
    const order = flow.validate();
    const parameters = resolveParameters(flow, options.parameters ?? {});
    const runContext: RunContext = { secrets: {}, ...options.runContext, parameters };
    const plan: ExecutionPlan = {
      flowName: flow.name,
      flowLocation: this.flowLocation,
      tasks: order.map(({ name, upstream, cpu }) => ({ name, upstream, cpu })),
      parameters,
      runContext,
    };
    const taskEnvironment = { flowName: flow.name, parameters, runContext, onState: options.onTaskState };
    const runners = new Map<string, Pick<TaskRunner, 'run'>>();
    const runtime: TaskRuntime = {
      runTask: (name, upstream) => {
        let runner = runners.get(name);
        if (runner === undefined) {
          runner = new this.taskRunnerClass(flow.getTask(name));
          runners.set(name, runner);
        }
        return runner.run(upstream, taskEnvironment);
      },
    };

    const startedAt = Date.now();
    const executor = options.executor ?? new LocalExecutor();
    let states: Map<string, TaskState>;
    try {
      states = await executor.execute(plan, runtime);
    } catch (error) {
      if (FlowenvError.isInstance(error)) throw error;
      throw new FlowenvError({
        code: 'EXECUTOR_FAILED',
        message: `Flow "${flow.name}": the executor failed: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    return summarize(flow.name, order, states, parameters, startedAt);
  }
}

/**
 * Given values, then defaults; a missing required or an unknown parameter is an error before any
 * task runs.
 */
export function resolveParameters(flow: Flow, given: Record<string, unknown>): Record<string, unknown> {
  const declared = flow.parameters;
  const known = new Set(declared.map((parameter) => parameter.name));
  const unknown = Object.keys(given).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new FlowenvError({
      code: 'PARAMETER_UNKNOWN',
      message: `Flow "${flow.name}" has no parameter ${unknown.map((name) => `"${name}"`).join(', ')}` +
        (known.size > 0 ? ` (parameters: ${[...known].join(', ')})` : ' (it takes no parameters)'),
    });
  }
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const parameter of declared) {
    if (Object.hasOwn(given, parameter.name)) values[parameter.name] = given[parameter.name];
    else if (parameter.required) missing.push(parameter.name);
    else values[parameter.name] = parameter.defaultValue;
  }
  if (missing.length > 0) {
    throw new FlowenvError({
      code: 'PARAMETER_MISSING',
      message: `Flow "${flow.name}" needs a value for required parameter ${missing.map((name) => `"${name}"`).join(', ')}` +
        ' (flowenv run: --param name=value)',
    });
  }
  return values;
}

function summarize(
  flowName: string,
  order: readonly TaskDefinition[],
  states: ReadonlyMap<string, TaskState>,
  parameters: Record<string, unknown>,
  startedAt: number,
): FlowRunResult {
  const tasks: Record<string, TaskState> = {};
  const failed: string[] = [];
  for (const { name } of order) {
    const state = states.get(name) ?? { state: 'Failed', attempts: 0, message: 'The executor returned no state' };
    tasks[name] = state;
    if (state.state !== 'Success') failed.push(name);
  }
  return {
    flowName,
    state: failed.length === 0 ? 'Success' : 'Failed',
    message: failed.length === 0
      ? `All ${order.length} tasks succeeded`
      : `${failed.length} of ${order.length} tasks did not succeed: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ', …' : ''}`,
    parameters,
    tasks,
    startedAt,
    finishedAt: Date.now(),
  };
}
