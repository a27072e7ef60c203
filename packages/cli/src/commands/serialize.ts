import type { CommandIo } from '../io.js';
import { prepareDeployment } from '../prepare-deployment.js';
import { UsageError } from '../usage-error.js';

export const serializeUsage = `flowenv serialize <flow-file>

Prints the flow's environment and storage as the JSON a backend would store (no credentials,
no spec contents).`;

export async function serializeCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const [flowFile, ...extra] = argv;
  if (flowFile === undefined || flowFile.startsWith('-') || extra.length > 0) throw new UsageError(`usage: ${serializeUsage.split('\n')[0]}`);
  const { flow, environment, storage } = await prepareDeployment(flowFile);
  io.stdout(JSON.stringify({ name: flow.name, environment: environment.serialize(), storage: storage.serialize() }, null, 2));
  return 0;
}
