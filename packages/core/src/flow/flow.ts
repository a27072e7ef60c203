import { FlowenvError } from '../errors/flowenv-error.js';
import type { Environment } from '../environment/environment.js';
import type { Storage } from '../storage/storage.js';
import type { ParameterDefinition, ParameterOptions } from './parameter.js';
import type { TaskDefinition, TaskFunction, TaskInputs, TaskOptions, TaskRef, UpstreamMap } from './task.js';

const flowMarker = Symbol.for('flowenv.flow');

export interface FlowOptions {
  name: string;
  /** Where a deployed run executes (default: RemoteEnvironment when `flowenv deploy` runs it). */
  environment?: Environment;
  /** Where the flow is kept for deployment (default: LocalStorage). */
  storage?: Storage;
}

/**
 * A flow: named tasks wired by their upstream results, plus parameters. A flow file is a module
 * whose default export is a Flow; loading the module re-creates the flow with its environment.
 */
export class Flow {
  readonly name: string;
  environment: Environment | undefined;
  storage: Storage | undefined;
  /** Absolute path of the module the flow was loaded from (set by loadFlow). */
  location: string | undefined;
  private readonly definitions = new Map<string, TaskDefinition>();
  private readonly parameterDefinitions = new Map<string, ParameterDefinition>();
  private order: readonly TaskDefinition[] | undefined;
  private readonly [flowMarker] = true;

  constructor(options: FlowOptions) {
    if (typeof options?.name !== 'string' || options.name.trim() === '') {
      throw new FlowenvError({ code: 'FLOW_INVALID', message: 'Flow: `name` must be a non-empty string' });
    }
    this.name = options.name;
    this.environment = options.environment;
    this.storage = options.storage;
  }

  /** True for any flowenv Flow, also one created by another copy of this package. */
  static isFlow(value: unknown): value is Flow {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[flowMarker] === true;
  }

  /** Declares a run parameter; downstream tasks receive its value like any upstream result. */
  parameter<T = unknown>(name: string, options: ParameterOptions<T> = {}): TaskRef<T> {
    const hasDefault = Object.hasOwn(options, 'default');
    const definition: ParameterDefinition = {
      name,
      hasDefault,
      defaultValue: options.default,
      required: options.required ?? !hasDefault,
    };
    this.add({
      kind: 'parameter',
      name,
      upstream: {},
      retries: 0,
      retryDelayMs: 0,
      timeoutMs: undefined,
      cpu: false,
      run: (_inputs, context) => context.parameters[name],
    });
    this.parameterDefinitions.set(name, definition);
    return { name };
  }

  /** Adds a task; its function receives the results of `options.upstream` under their keys. */
  task<R>(name: string, run: TaskFunction<Record<string, never>, R>): TaskRef<Awaited<R>>;
  task<U extends UpstreamMap, R>(name: string, options: TaskOptions<U>, run: TaskFunction<TaskInputs<U>, R>): TaskRef<Awaited<R>>;
  task(
    name: string,
    optionsOrRun: TaskOptions | TaskFunction<never, unknown>,
    maybeRun?: TaskFunction<never, unknown>,
  ): TaskRef<unknown> {
    const options: TaskOptions = typeof optionsOrRun === 'function' ? {} : optionsOrRun;
    const run = (typeof optionsOrRun === 'function' ? optionsOrRun : maybeRun) as TaskDefinition['run'] | undefined;
    if (typeof run !== 'function') {
      throw new FlowenvError({ code: 'FLOW_INVALID', message: `Flow "${this.name}": task "${name}" needs a function` });
    }
    this.add({
      kind: 'task',
      name,
      upstream: upstreamNames(options.upstream ?? {}),
      retries: nonNegativeInteger(options.retries ?? 0, `task "${name}": retries`),
      retryDelayMs: nonNegativeInteger(options.retryDelayMs ?? 0, `task "${name}": retryDelayMs`),
      timeoutMs: options.timeoutMs === undefined ? undefined : positiveNumber(options.timeoutMs, `task "${name}": timeoutMs`),
      cpu: options.cpu ?? false,
      run,
    });
    return { name };
  }

  getTask(name: string): TaskDefinition {
    const definition = this.definitions.get(name);
    if (!definition) {
      throw new FlowenvError({ code: 'FLOW_INVALID', message: `Flow "${this.name}" has no task named "${name}"` });
    }
    return definition;
  }

  get tasks(): readonly TaskDefinition[] {
    return [...this.definitions.values()];
  }

  get parameters(): readonly ParameterDefinition[] {
    return [...this.parameterDefinitions.values()];
  }

  /**
   * Checks the graph (every upstream exists, no cycle) and returns the tasks in a dependency
   * order that keeps definition order among independent tasks.
   */
  validate(): readonly TaskDefinition[] {
    this.order ??= topologicalOrder(this.name, this.definitions);
    return this.order;
  }

  private add(definition: TaskDefinition): void {
    if (typeof definition.name !== 'string' || definition.name === '') {
      throw new FlowenvError({ code: 'FLOW_INVALID', message: `Flow "${this.name}": task names must be non-empty strings` });
    }
    if (this.definitions.has(definition.name)) {
      throw new FlowenvError({
        code: 'FLOW_INVALID',
        message: `Flow "${this.name}" already has a task or parameter named "${definition.name}"; names must be unique`,
      });
    }
    this.definitions.set(definition.name, definition);
    this.order = undefined;
  }
}

function upstreamNames(upstream: UpstreamMap): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [argument, reference] of Object.entries(upstream)) {
    names[argument] = typeof reference === 'string' ? reference : reference.name;
  }
  return names;
}

function nonNegativeInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new FlowenvError({ code: 'FLOW_INVALID', message: `${field} must be a non-negative integer, got ${String(value)}` });
  }
  return value;
}

function positiveNumber(value: number, field: string): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new FlowenvError({ code: 'FLOW_INVALID', message: `${field} must be a positive number, got ${String(value)}` });
  }
  return value;
}

/** Kahn's algorithm; names the unknown upstream or the tasks caught in a cycle. */
function topologicalOrder(flowName: string, definitions: ReadonlyMap<string, TaskDefinition>): TaskDefinition[] {
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const definition of definitions.values()) {
    const upstream = new Set(Object.values(definition.upstream));
    for (const name of upstream) {
      if (!definitions.has(name)) {
        throw new FlowenvError({
          code: 'FLOW_INVALID',
          message: `Flow "${flowName}": task "${definition.name}" depends on unknown task "${name}"`,
        });
      }
      const list = dependents.get(name);
      if (list) list.push(definition.name);
      else dependents.set(name, [definition.name]);
    }
    waitingOn.set(definition.name, upstream.size);
  }
  const ready: string[] = [];
  for (const [name, count] of waitingOn) if (count === 0) ready.push(name);
  const order: TaskDefinition[] = [];
  for (let index = 0; index < ready.length; index++) {
    const name = ready[index] as string;
    order.push(definitions.get(name) as TaskDefinition);
    for (const dependent of dependents.get(name) ?? []) {
      const remaining = (waitingOn.get(dependent) as number) - 1;
      waitingOn.set(dependent, remaining);
      if (remaining === 0) ready.push(dependent);
    }
  }
  if (order.length !== definitions.size) {
    const stuck = [...waitingOn].filter(([, count]) => count > 0).map(([name]) => `"${name}"`);
    throw new FlowenvError({
      code: 'FLOW_INVALID',
      message: `Flow "${flowName}" has a dependency cycle among tasks ${stuck.join(', ')}`,
    });
  }
  return order;
}
