// An executor module outside flowenv: runs tasks in reverse-safe order and records that it ran.
export const calls = [];
export class RecordingExecutor {
  constructor(options) {
    this.options = options;
  }
  async execute(plan, runtime) {
    calls.push({ options: this.options, tasks: plan.tasks.map((task) => task.name) });
    const states = new Map();
    for (const task of plan.tasks) {
      const upstream = {};
      for (const [argument, name] of Object.entries(task.upstream)) upstream[argument] = states.get(name);
      states.set(task.name, await runtime.runTask(task.name, upstream));
    }
    return states;
  }
}
export const notAClass = 42;
