import { availableParallelism } from 'node:os';
import { FlowenvError } from '../errors/flowenv-error.js';
import type { TaskState } from '../flow/state.js';
import { upstreamStates, type ExecutionPlan, type Executor, type PlannedTask, type TaskRuntime } from './executor.js';
import { ThreadPool } from './thread-pool.js';

export interface LocalParallelExecutorOptions {
  /** Most tasks in flight at once (default 64). */
  maxConcurrency?: number;
  /**
   * Worker threads for tasks marked `cpu: true` (default: the machine's available parallelism;
   * 0 runs them in the main thread). Needs a flow loaded from a module file.
   */
  threads?: number;
}

/**
 * Runs independent tasks concurrently in this process (Prefect's LocalDaskExecutor role). I/O-bound
 * tasks interleave on the event loop; CPU-bound ones go to worker threads.
 */
export class LocalParallelExecutor implements Executor {
  readonly maxConcurrency: number;
  readonly threads: number;

  constructor(options: LocalParallelExecutorOptions = {}) {
    this.maxConcurrency = positiveInteger(options.maxConcurrency ?? 64, 'maxConcurrency', 1);
    this.threads = positiveInteger(options.threads ?? availableParallelism(), 'threads', 0);
  }

  async execute(plan: ExecutionPlan, runtime: TaskRuntime): Promise<Map<string, TaskState>> {
    const pool = this.threads > 0 && plan.flowLocation !== undefined && plan.tasks.some((task) => task.cpu)
      ? new ThreadPool(this.threads)
      : undefined;
    try {
      return await this.schedule(plan, (task, upstream) =>
        pool !== undefined && task.cpu
          ? pool.run({
            flowLocation: plan.flowLocation as string,
            taskName: task.name,
            upstream,
            parameters: { ...plan.parameters },
            runContext: plan.runContext,
          })
          : runtime.runTask(task.name, upstream));
    } finally {
      await pool?.close();
    }
  }

  private schedule(
    plan: ExecutionPlan,
    runOne: (task: PlannedTask, upstream: Record<string, TaskState>) => Promise<TaskState>,
  ): Promise<Map<string, TaskState>> {
    const states = new Map<string, TaskState>();
    const waitingOn = new Map<string, number>();
    const dependents = new Map<string, PlannedTask[]>();
    const ready: PlannedTask[] = [];
    for (const task of plan.tasks) {
      const upstream = new Set(Object.values(task.upstream));
      waitingOn.set(task.name, upstream.size);
      for (const name of upstream) {
        const list = dependents.get(name);
        if (list) list.push(task);
        else dependents.set(name, [task]);
      }
      if (upstream.size === 0) ready.push(task);
    }

    return new Promise((resolve, reject) => {
      let next = 0;
      let running = 0;
      const total = plan.tasks.length;
      if (total === 0) resolve(states);
      const pump = (): void => {
        while (running < this.maxConcurrency && next < ready.length) {
          const task = ready[next++] as PlannedTask;
          running++;
          runOne(task, upstreamStates(task, states)).then((state) => {
            running--;
            states.set(task.name, state);
            for (const dependent of dependents.get(task.name) ?? []) {
              const remaining = (waitingOn.get(dependent.name) as number) - 1;
              waitingOn.set(dependent.name, remaining);
              if (remaining === 0) ready.push(dependent);
            }
            if (states.size === total) resolve(states);
            else pump();
          }, reject);
        }
      };
      pump();
    });
  }
}

function positiveInteger(value: number, field: string, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `LocalParallelExecutor: \`${field}\` must be an integer >= ${minimum}, got ${String(value)}`,
    });
  }
  return value;
}
