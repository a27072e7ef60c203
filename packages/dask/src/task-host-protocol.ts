import { serializeError, type FlowTaskRequest, type RunContext, type TaskState } from '@flowenv/core';

/**
 * The line protocol between a Dask worker (flowenv_dask_worker.py) and its Node task host.
 * Request, one JSON object per line on the host's stdin:
 *   {"id":N,"task":NAME,"run":{"flowLocation":…,"parameters":…,"runContext":…},"upstream":{ARGUMENT:TaskState}}
 * Response, on the file descriptor named by --response-fd: `N<TAB><TaskState JSON>\n`.
 * The worker splices the JSON texts it got from other hosts into requests without parsing them.
 */
export interface TaskHostRequest {
  id: number;
  request: FlowTaskRequest;
}

/** What every task of one run shares; sent once per task as the request's `run` member. */
export interface RunDescription {
  flowLocation: string;
  parameters: Record<string, unknown>;
  runContext: RunContext;
}

export function parseTaskHostRequest(line: string): TaskHostRequest {
  const message = JSON.parse(line) as { id?: unknown; task?: unknown; run?: Partial<RunDescription>; upstream?: Record<string, TaskState> };
  if (typeof message.id !== 'number' || typeof message.task !== 'string' || typeof message.run?.flowLocation !== 'string') {
    throw new Error(`Malformed task host request: ${line.slice(0, 200)}`);
  }
  return {
    id: message.id,
    request: {
      flowLocation: message.run.flowLocation,
      taskName: message.task,
      upstream: message.upstream ?? {},
      parameters: message.run.parameters ?? {},
      runContext: message.run.runContext ?? { secrets: {} },
    },
  };
}

/**
 * One response line. Results travel as JSON: a result JSON cannot carry (a BigInt, a cycle) fails
 * the task with a message that says so, instead of breaking the protocol.
 */
export function encodeTaskHostResponse(id: number, state: TaskState): string {
  let text: string;
  try {
    text = JSON.stringify(state);
  } catch (error) {
    const message = `The task's result cannot be sent as JSON (${error instanceof Error ? error.message : String(error)}); return plain JSON data from tasks run on Dask`;
    const { result: _result, ...rest } = state;
    text = JSON.stringify({
      ...rest,
      state: 'Failed',
      message,
      error: { ...serializeError(error), message },
    } satisfies TaskState);
  }
  return `${id}\t${text}\n`;
}

/** A Failed state for a task the host could not even start (bad request, flow module that throws). */
export function failedState(error: unknown): TaskState {
  const serialized = serializeError(error);
  return { state: 'Failed', attempts: 0, message: serialized.message, error: serialized };
}

/** `--response-fd=N` from the host's arguments. */
export function parseResponseFd(argv: readonly string[]): number {
  const argument = argv.find((value) => value.startsWith('--response-fd='));
  const fd = Number(argument?.slice('--response-fd='.length));
  if (!Number.isInteger(fd) || fd < 3) {
    throw new Error('The flowenv task host needs --response-fd=N (N >= 3); it is started by the flowenv Dask worker plugin');
  }
  return fd;
}
