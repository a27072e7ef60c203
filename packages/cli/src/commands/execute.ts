import { Environment, loadConfig, loadFlow, runContextFromConfig, FlowenvError } from '@flowenv/core';
import type { CommandIo } from '../io.js';
import { formatRunSummary } from '../format-run.js';

export const executeUsage = `flowenv execute

The entry point inside a job, task or container: loads the flow module named by
PREFECT__CONTEXT__FLOW_FILE_PATH and calls its environment's runFlow(). Exit code 0 when the flow
succeeded, 1 otherwise.`;

export async function executeCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length > 0) throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `flowenv execute takes no arguments (got ${argv.join(' ')})` });
  const flowFilePath = runContextFromConfig(loadConfig()).flowFilePath;
  if (!flowFilePath) {
    throw new FlowenvError({
      code: 'FLOW_LOAD_FAILED',
      message: 'No flow file to run: set PREFECT__CONTEXT__FLOW_FILE_PATH to the flow module inside the image',
    });
  }
  // In a container this process is PID 1, which ignores SIGTERM unless it handles it: without this,
  // deleting the Job or stopping the task would wait out the whole grace period.
  process.once('SIGTERM', () => {
    io.stderr('flowenv execute: SIGTERM received, stopping the run');
    process.exit(143);
  });
  const flow = await loadFlow(flowFilePath);
  const environment = flow.environment ?? new Environment();
  const result = await environment.runFlow();
  io.stdout(formatRunSummary(result));
  return result.state === 'Success' ? 0 : 1;
}
