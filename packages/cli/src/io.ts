/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress may be richer there). */
  interactive: boolean;
}

export const processIo: CommandIo = {
  stdout: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  interactive: process.stderr.isTTY === true,
};
