import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TaskState } from '@flowenv/core';
import { afterEach, describe, expect, it } from 'vitest';

const hostScript = fileURLToPath(new URL('./task-host.ts', import.meta.url));
const flowLocation = fileURLToPath(new URL('./__fixtures__/host-flow.ts', import.meta.url));
const run = { flowLocation, parameters: { base: 1 }, runContext: { secrets: {}, flowRunId: 'run-7' } };

/** A task host started as the worker plugin starts it, with its answers on fd 3. */
class HostUnderTest {
  readonly child: ChildProcess;
  readonly answers: string[] = [];
  stdout = '';
  private waiting: Array<(line: string) => void> = [];

  constructor() {
    this.child = spawn(process.execPath, ['--conditions=@flowenv/source', '--import', 'tsx', hostScript, '--response-fd=3'], {
      stdio: ['pipe', 'pipe', 'inherit', 'pipe'],
    });
    (this.child.stdout as Readable).on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    createInterface({ input: this.child.stdio[3] as Readable }).on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(line);
      else this.answers.push(line);
    });
  }

  async call(id: number, task: string, upstream: Record<string, TaskState> = {}): Promise<{ id: number; state: TaskState }> {
    (this.child.stdin as Writable).write(`${JSON.stringify({ id, task, run, upstream })}\n`);
    const line = this.answers.shift() ?? (await new Promise<string>((resolve) => this.waiting.push(resolve)));
    const tab = line.indexOf('\t');
    return { id: Number(line.slice(0, tab)), state: JSON.parse(line.slice(tab + 1)) as TaskState };
  }
}

describe('the Node task host', () => {
  let host: HostUnderTest | undefined;
  afterEach(() => {
    if (host?.child.exitCode === null) host.child.kill('SIGKILL');
  });

  it('runs tasks by name with their upstream states and answers on its response fd', async () => {
    host = new HostUnderTest();
    const add = await host.call(1, 'add', { base: { state: 'Success', result: 1, attempts: 1 } });
    expect(add).toMatchObject({ id: 1, state: { state: 'Success', result: 42, attempts: 1 } });
    const double = await host.call(2, 'double', { add: add.state });
    expect(double.state.result).toBe(84);
    const context = await host.call(3, 'context');
    expect(context.state.result).toEqual({ flowRunId: 'run-7', parameters: { base: 1 } });
  }, 30_000);

  it('keeps what tasks print off the protocol', async () => {
    host = new HostUnderTest();
    const noisy = await host.call(1, 'noisy');
    expect(noisy).toMatchObject({ id: 1, state: { state: 'Success', result: 'quiet result' } });
    expect(host.stdout).toContain('this line goes to the worker log');
    expect(host.stdout).toContain('"fake":"protocol line"');
  }, 30_000);

  it('returns a JS error as a Failed state with its name, message and stack', async () => {
    host = new HostUnderTest();
    const { state } = await host.call(1, 'boom');
    expect(state.state).toBe('Failed');
    expect(state.error).toMatchObject({ name: 'TypeError', message: 'boom: got 42' });
    expect(state.error?.stack).toContain('host-flow.ts');
  }, 30_000);

  it('retries and times out inside the host, as the TaskRunner does locally', async () => {
    host = new HostUnderTest();
    expect((await host.call(1, 'flaky')).state).toMatchObject({ state: 'Success', result: 3, attempts: 3 });
    expect((await host.call(2, 'slow')).state).toMatchObject({ state: 'TimedOut', attempts: 1 });
  }, 30_000);

  it('skips a task whose upstream failed', async () => {
    host = new HostUnderTest();
    const { state } = await host.call(1, 'double', { add: { state: 'Failed', attempts: 1, message: 'no' } });
    expect(state).toMatchObject({ state: 'UpstreamFailed', message: 'Upstream task "add" ended in Failed' });
  }, 30_000);

  it('fails a task whose result is not JSON, and a task the flow does not have, without dying', async () => {
    host = new HostUnderTest();
    const bigInt = await host.call(1, 'big-int');
    expect(bigInt.state.state).toBe('Failed');
    expect(bigInt.state.message).toContain('cannot be sent as JSON');
    const missing = await host.call(2, 'no-such-task');
    expect(missing.state).toMatchObject({ state: 'Failed', message: 'Flow "host-flow" has no task named "no-such-task"' });
    expect((await host.call(3, 'add', { base: { state: 'Success', result: 0, attempts: 1 } })).state.result).toBe(41);
  }, 30_000);

  it('answers a malformed request with a Failed state for id -1', async () => {
    host = new HostUnderTest();
    (host.child.stdin as Writable).write('not json\n');
    const line = await new Promise<string>((resolve) => createInterface({ input: host?.child.stdio[3] as Readable }).once('line', resolve));
    expect(line.startsWith('-1\t')).toBe(true);
    expect(JSON.parse(line.slice(3))).toMatchObject({ state: 'Failed' });
  }, 30_000);

  it('exits with 0 when its stdin closes, and with the task\'s code when a task exits', async () => {
    host = new HostUnderTest();
    await host.call(1, 'add', { base: { state: 'Success', result: 1, attempts: 1 } });
    (host.child.stdin as Writable).end();
    const [code] = (await once(host.child, 'exit')) as [number];
    expect(code).toBe(0);

    host = new HostUnderTest();
    (host.child.stdin as Writable).write(`${JSON.stringify({ id: 1, task: 'exit', run, upstream: {} })}\n`);
    const [exitCode] = (await once(host.child, 'exit')) as [number];
    expect(exitCode).toBe(7);
  }, 30_000);
});
