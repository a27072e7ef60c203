import { FlowenvError, setLogLevel, loadConfig, type FlowenvErrorCode } from '@flowenv/core';
import { deployCommand, deployUsage } from './commands/deploy.js';
import { executeCommand, executeUsage } from './commands/execute.js';
import { renderCommand, renderUsage } from './commands/render.js';
import { runCommand, runUsage } from './commands/run.js';
import { serializeCommand, serializeUsage } from './commands/serialize.js';
import { processIo, type CommandIo } from './io.js';
import { UsageError } from './usage-error.js';

type Command = (argv: readonly string[], io: CommandIo) => Promise<number>;

const commands: Record<string, { run: Command; usage: string }> = {
  run: { run: runCommand, usage: runUsage },
  deploy: { run: deployCommand, usage: deployUsage },
  execute: { run: executeCommand, usage: executeUsage },
  render: { run: renderCommand, usage: renderUsage },
  serialize: { run: serializeCommand, usage: serializeUsage },
};

const help = `flowenv — run flows here, on Dask, Kubernetes or AWS

Commands:
${Object.values(commands).map(({ usage }) => `  ${usage.split('\n')[0]}`).join('\n')}

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
  const command = commands[name];
  if (command === undefined) {
    io.stderr(`flowenv: unknown command "${name}"\n\n${help}`);
    return 2;
  }
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
