import { fileURLToPath } from 'node:url';
import type { CommandIo } from '../io.js';
import { main } from '../main.js';

/** Absolute path of a fixture flow file in this folder. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

export const helloFlowPath = fileURLToPath(new URL('../../../../examples/hello-flow.ts', import.meta.url));

export interface CliResult {
  code: number;
  /** Each stdout write, in order. */
  stdout: string[];
  /** Each stderr write, in order. */
  stderr: string[];
}

/** Runs `flowenv <argv>` in this process with an io that keeps what each stream got. */
export async function runCli(argv: readonly string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CommandIo = {
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    interactive: false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The calls fixture flows recorded (see record-call.ts) while `body` ran. */
export async function recordingCalls<T>(body: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const holder = globalThis as { __flowenvCliCalls?: string[] };
  const calls: string[] = [];
  holder.__flowenvCliCalls = calls;
  try {
    return { result: await body(), calls };
  } finally {
    delete holder.__flowenvCliCalls;
  }
}
