import { parseArgs } from 'node:util';
import type { CommandIo } from '../io.js';
import { parseParameters } from '../parse-parameters.js';
import { prepareDeployment } from '../prepare-deployment.js';
import { UsageError } from '../usage-error.js';
import { formatRunSummary, formatTaskProgress } from '../format-run.js';

export const deployUsage = `flowenv deploy <flow-file> [--param name=value]… [--wait] [--no-push]

Builds the flow's storage, then calls its environment's setup and execute. With --wait, follows
the run to its end, streaming its logs, and exits with its outcome (0 Success, 1 otherwise).`;

export async function deployCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      param: { type: 'string', multiple: true, short: 'p' },
      wait: { type: 'boolean', short: 'w' },
      'no-push': { type: 'boolean' },
    },
  });
  const [flowFile, ...extra] = positionals;
  if (flowFile === undefined || extra.length > 0) throw new UsageError(`usage: ${deployUsage.split('\n')[0]}`);
  const parameters = parseParameters(values.param ?? []);
  const { flow, environment, storage, location } = await prepareDeployment(flowFile);

  io.stderr(`Building ${storage.type} for flow "${flow.name}"…`);
  await storage.build({ push: !values['no-push'] });
  io.stderr(`Setting up ${environment.type}…`);
  await environment.setup(storage);
  io.stderr(`Executing with ${environment.type}…`);
  const handle = await environment.execute(storage, location, {
    parameters,
    onTaskState: (taskName, state) => {
      const line = formatTaskProgress(taskName, state);
      if (line !== undefined) io.stderr(line);
    },
  });
  if (!handle) {
    io.stderr(`${environment.type} started nothing to follow.`);
    return 0;
  }
  io.stdout(JSON.stringify({ kind: handle.kind, id: handle.id, ...handle.details }));
  if (!values.wait && handle.kind !== 'in-process') return 0;

  const following = (async () => {
    for await (const line of handle.logs({ follow: true })) io.stderr(line);
  })().catch((error: unknown) => io.stderr(`(log stream ended: ${error instanceof Error ? error.message : String(error)})`));
  const outcome = await handle.wait();
  await following;
  if (outcome.result) io.stdout(formatRunSummary(outcome.result));
  io.stderr(`Run ${handle.id}: ${outcome.state}${outcome.reason ? ` — ${outcome.reason}` : ''}`);
  for (const line of outcome.logTail ?? []) io.stderr(`  | ${line}`);
  return outcome.state === 'Success' ? 0 : 1;
}
