// The Node task host: one long-lived process per Dask worker thread, started by the worker plugin
// (python/flowenv_dask_worker.py). It runs tasks of flow modules by name with core's runFlowTask,
// so each flow module is imported once per host and retries and timeouts work as they do locally.
// Requests come on stdin; answers go to the file descriptor --response-fd names, never stdout, so
// whatever a task prints ends up in the worker log without corrupting the protocol.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runFlowTask } from '@flowenv/core';
import { encodeTaskHostResponse, failedState, parseResponseFd, parseTaskHostRequest } from './task-host-protocol.js';

const responseFd = parseResponseFd(process.argv);
const debug = process.argv.includes('--debug');
const parentAtStart = process.ppid;

function respond(text: string): void {
  let buffer = Buffer.from(text);
  try {
    while (buffer.length > 0) buffer = buffer.subarray(writeSync(responseFd, buffer));
  } catch {
    // The worker closed its end: nobody is waiting for answers any more.
    process.exit(0);
  }
}

async function handle(line: string): Promise<void> {
  let id = -1;
  try {
    const { id: requestId, request } = parseTaskHostRequest(line);
    id = requestId;
    const state = await runFlowTask(request).catch(failedState);
    respond(encodeTaskHostResponse(id, state));
  } catch (error) {
    if (debug) process.stderr.write(`flowenv task host: ${String(error)}\n`);
    respond(encodeTaskHostResponse(id, failedState(error)));
  }
}

// The worker sends one request and waits for its answer, so tasks never overlap; the chain keeps
// answers in order even if that ever changed.
let chain: Promise<void> = Promise.resolve();
const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  chain = chain.then(() => handle(line));
});
// End of input: the plugin is closing the host (or the worker died). Finish, then leave.
input.on('close', () => {
  void chain.then(() => process.exit(0));
});

// A worker killed with SIGKILL cannot close our stdin in time if a task is still running: leave as
// soon as we are orphaned, so no host outlives its worker.
setInterval(() => {
  if (process.ppid !== parentAtStart) process.exit(0);
}, 1000).unref();
