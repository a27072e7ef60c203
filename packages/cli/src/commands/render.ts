import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { CommandIo } from '../io.js';
import { prepareDeployment } from '../prepare-deployment.js';
import { UsageError } from '../usage-error.js';

export const renderUsage = `flowenv render <flow-file> [--json]

Prints exactly what execute would submit (Kubernetes manifests, ECS task definitions, …) as YAML,
or JSON with --json, without contacting any cluster or cloud.`;

export async function renderCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [flowFile, ...extra] = positionals;
  if (flowFile === undefined || extra.length > 0) throw new UsageError(`usage: ${renderUsage.split('\n')[0]}`);
  const { environment, storage, location } = await prepareDeployment(flowFile);
  const documents = await environment.render(storage, location);
  if (documents.length === 0) {
    io.stderr(`${environment.type} runs the flow in the process that executes it: there is nothing to render.`);
    return 0;
  }
  io.stdout(values.json
    ? JSON.stringify(documents.map(({ document }) => document), null, 2)
    : documents.map(({ kind, document }) => `# ${kind}\n${stringify(document)}`).join('---\n'));
  return 0;
}
