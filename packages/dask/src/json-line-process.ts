import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface JsonLineProcessOptions {
  command: string;
  args: readonly string[];
  /** Called for every JSON object the process writes on stdout, one per line. */
  onMessage: (message: Record<string, unknown>) => void;
  /** Called with each stderr line (logs of Python and distributed). */
  onStderrLine?: (line: string) => void;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** How the process ended: its exit code or signal, or the error that kept it from starting. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
}

const stderrTailLines = 40;

/**
 * A child process that reads JSON lines on stdin and writes JSON lines on stdout: the Python
 * bridge and the cluster manager. Its stdin is its lifeline: the Python side exits when stdin
 * closes, which also happens when this process dies, however it dies. While nobody needs it, the
 * child is unref'd, so a forgotten close() never keeps Node alive (and then Node's exit closes
 * stdin, which stops the child).
 */
export class JsonLineProcess {
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderrLines: string[] = [];
  private exit: ProcessExit | undefined;
  private references = 0;

  constructor(options: JsonLineProcessOptions) {
    this.child = spawn(options.command, options.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        // 'error' without 'exit' means the process never started (ENOENT, EACCES).
        if (this.child.pid === undefined) this.finish({ code: null, signal: null, spawnError: error }, resolve);
      });
      this.child.once('close', (code, signal) => this.finish({ code, signal }, resolve));
    });
    // Writing to a child that already exited raises EPIPE on the stream; the exit is reported instead.
    this.child.stdin.on('error', () => {});
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      if (line.trim() === '') return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        options.onStderrLine?.(`(unparsable protocol line) ${line.slice(0, 500)}`);
        return;
      }
      if (typeof message === 'object' && message !== null && !Array.isArray(message)) options.onMessage(message as Record<string, unknown>);
    });
    createInterface({ input: this.child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      this.stderrLines.push(line);
      if (this.stderrLines.length > stderrTailLines) this.stderrLines.shift();
      options.onStderrLine?.(line);
    });
    this.release();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** The last lines the process wrote on stderr, for error messages. */
  stderrTail(): string {
    return this.stderrLines.join('\n');
  }

  send(message: unknown): void {
    if (this.exit !== undefined || this.child.stdin.destroyed) return;
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Keeps Node alive while someone waits for the child (counted: hold/release pairs). */
  hold(): void {
    if (this.references++ === 0) this.setReferenced(true);
  }

  release(): void {
    if (this.references > 0) this.references--;
    if (this.references === 0) this.setReferenced(false);
  }

  /**
   * Closes stdin (the child's signal to clean up and exit), waits up to `graceMs`, then sends
   * SIGTERM, and SIGKILL if that does not help within `graceMs` either.
   */
  async stop(graceMs: number, farewell?: unknown): Promise<ProcessExit> {
    if (this.exit !== undefined) return this.exit;
    this.hold();
    try {
      if (farewell !== undefined) this.send(farewell);
      this.child.stdin.end();
      if (await this.exitWithin(graceMs)) return this.exited;
      this.child.kill('SIGTERM');
      if (await this.exitWithin(graceMs)) return this.exited;
      this.child.kill('SIGKILL');
      return await this.exited;
    } finally {
      this.release();
    }
  }

  /** Immediate SIGKILL (the child could not start properly; nothing to clean up politely). */
  async kill(): Promise<ProcessExit> {
    if (this.exit !== undefined) return this.exit;
    // Held while waiting: with every handle unref'd, Node would exit with this promise pending.
    this.hold();
    try {
      this.child.kill('SIGKILL');
      return await this.exited;
    } finally {
      this.release();
    }
  }

  private exitWithin(milliseconds: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), milliseconds);
      void this.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private finish(exit: ProcessExit, resolve: (exit: ProcessExit) => void): void {
    if (this.exit !== undefined) return;
    this.exit = exit;
    resolve(exit);
  }

  private setReferenced(referenced: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<{ ref?: () => void; unref?: () => void }>;
    for (const handle of handles) {
      if (referenced) handle.ref?.();
      else handle.unref?.();
    }
  }
}
