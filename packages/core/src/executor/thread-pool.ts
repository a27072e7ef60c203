import { Worker } from 'node:worker_threads';
import type { FlowTaskRequest } from '../flow/run-flow-task.js';
import type { TaskState } from '../flow/state.js';

interface Job {
  request: FlowTaskRequest;
  resolve: (state: TaskState) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

// Built code runs task-thread.js. Under the test runner the sources are .ts: the thread registers
// tsx itself first (a worker's execArgv cannot carry --import loaders on Node 20).
const fromSource = import.meta.url.endsWith('.ts');
const threadScript = new URL(fromSource ? './task-thread.ts' : './task-thread.js', import.meta.url);

function startThread(): Worker {
  if (!fromSource) return new Worker(threadScript);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(threadScript.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * A small pool of worker threads that each load the flow module once and run tasks by name.
 * A thread that dies fails its task with the exit code; the next task gets a fresh thread.
 */
export class ThreadPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];

  constructor(private readonly size: number) {}

  run(request: FlowTaskRequest): Promise<TaskState> {
    return new Promise((resolve) => {
      this.queue.push({ request, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((candidate) => candidate.job === undefined);
      if (slot === undefined) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.postMessage(job.request);
    }
  }

  private spawn(): Slot {
    const worker = startThread();
    const slot: Slot = { worker, job: undefined };
    worker.on('message', (state: TaskState) => {
      const job = slot.job;
      slot.job = undefined;
      job?.resolve(state);
      this.dispatch();
    });
    const fail = (reason: string): void => {
      const index = this.slots.indexOf(slot);
      if (index === -1) return;
      this.slots.splice(index, 1);
      const job = slot.job;
      slot.job = undefined;
      job?.resolve({
        state: 'Failed',
        attempts: 1,
        message: reason,
        error: { name: 'WorkerThreadError', message: reason },
      });
      this.dispatch();
    };
    worker.on('error', (error) => fail(`The task's worker thread failed: ${error.message}`));
    worker.on('exit', (code) => fail(`The task's worker thread exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}
