import { FlowenvError, setLogLevel, loadConfig, type FlowenvErrorCode } from '@flowenv/core';
import { processIo, type CommandIo } from './io.js';
import { UsageError } from './usage-error.js';

type Command = (argv: readonly string[], io: CommandIo) => Promise<number>;

// Each command is imported only when it is used: `flowenv run` should not pay for YAML or deploy code.
const commands: Record<string, () => Promise<{ run: Command; usage: string }>> = {
  run: async () => {
    const { runCommand, runUsage } = await import('./commands/run.js');
    return { run: runCommand, usage: runUsage };
  },
  deploy: async () => {
    const { deployCommand, deployUsage } = await import('./commands/deploy.js');
    return { run: deployCommand, usage: deployUsage };
  },
  execute: async () => {
    const { executeCommand, executeUsage } = await import('./commands/execute.js');
    return { run: executeCommand, usage: executeUsage };
  },
  render: async () => {
    const { renderCommand, renderUsage } = await import('./commands/render.js');
    return { run: renderCommand, usage: renderUsage };
  },
  serialize: async () => {
    const { serializeCommand, serializeUsage } = await import('./commands/serialize.js');
    return { run: serializeCommand, usage: serializeUsage };
  },
};

const help = `flowenv — run flows here, on Dask, Kubernetes or AWS

Commands:
  flowenv run <flow-file> [--param name=value]… [--executor module#Export] [--quiet] [--json]
  flowenv deploy <flow-file> [--param name=value]… [--wait] [--no-push]
  flowenv execute
  flowenv render <flow-file> [--json]
  flowenv serialize <flow-file>

Add --debug to any command for stack traces. flowenv <command> --help for details.`;

/** Errors that mean "the input was wrong" (exit 2) rather than "the run failed" (exit 1). */
const inputErrorCodes: ReadonlySet<FlowenvErrorCode> = new Set([
  'OPTIONS_INVALID',
  'FLOW_INVALID',
  'FLOW_LOAD_FAILED',
  'PARAMETER_MISSING',
  'PARAMETER_UNKNOWN',
  'EXECUTOR_NOT_FOUND',
  'CONFIG_INVALID',
  'CONFIG_FILE_NOT_FOUND',
  'PROVIDER_NOT_INSTALLED',
  'STORAGE_INVALID',
  'STORAGE_NOT_SUPPORTED',
]);

/** Runs the command line and returns the exit code: 0 success, 1 run failed, 2 bad input. */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((argument) => argument !== '--debug');
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help);
    return name === undefined ? 2 : 0;
  }
  const loadCommand = commands[name];
  if (loadCommand === undefined) {
    io.stderr(`flowenv: unknown command "${name}"\n\n${help}`);
    return 2;
  }
  const command = await loadCommand();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    setLogLevel(String(loadConfig().get('logging.level') ?? 'INFO'));
    return await command.run(rest, io);
  } catch (error) {
    io.stderr(`flowenv ${name}: ${describe(error)}`);
    if (debug && error instanceof Error && error.stack) io.stderr(error.stack);
    return isInputError(error) ? 2 : 1;
  }
}

function isInputError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  if (FlowenvError.isInstance(error)) return inputErrorCodes.has(error.code);
  // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
  return String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] as string;
  return String(error);
}
