import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JsonLineProcess } from './json-line-process.js';

// A stand-in for the Python side: echoes requests, logs to stderr, leaves when stdin closes.
const echo = `
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const message = JSON.parse(line);
  process.stderr.write('got ' + message.op + '\\n');
  process.stdout.write('not json\\n');
  process.stdout.write(JSON.stringify({ op: 'echo', of: message }) + '\\n');
});
lines.on('close', () => process.exit(0));
`;
// One that ignores both its lifeline and SIGTERM.
const stubborn = `process.on('SIGTERM', () => {}); process.stdin.resume(); process.stdin.on('end', () => {}); setInterval(() => {}, 1000); console.log(JSON.stringify({ op: 'up' }));`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(condition: () => boolean, milliseconds: number): Promise<boolean> {
  const deadline = Date.now() + milliseconds;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe('JsonLineProcess', () => {
  it('sends and receives JSON lines, keeps the stderr tail and skips lines that are not JSON', async () => {
    const messages: unknown[] = [];
    const stderr: string[] = [];
    const child = new JsonLineProcess({
      command: process.execPath,
      args: ['-e', echo],
      onMessage: (message) => messages.push(message),
      onStderrLine: (line) => stderr.push(line),
    });
    child.hold();
    child.send({ op: 'ping', n: 1 });
    await waitUntil(() => messages.length === 1, 10_000);
    child.release();
    expect(messages).toEqual([{ op: 'echo', of: { op: 'ping', n: 1 } }]);
    expect(stderr).toContain('got ping');
    expect(stderr.some((line) => line.includes('(unparsable protocol line) not json'))).toBe(true);
    expect(child.stderrTail()).toBe('got ping');
    const exit = await child.stop(5_000, { op: 'bye' });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.hasExited).toBe(true);
  });

  it('closes stdin first, then escalates to SIGTERM and SIGKILL', async () => {
    const child = new JsonLineProcess({ command: process.execPath, args: ['-e', stubborn], onMessage: () => {} });
    const started = Date.now();
    const exit = await child.stop(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(alive(child.pid as number)).toBe(false);
  });

  it('reports a command that does not exist as a spawn error', async () => {
    const child = new JsonLineProcess({ command: '/nonexistent/python3', args: [], onMessage: () => {} });
    const exit = await child.exited;
    expect(exit.spawnError?.code).toBe('ENOENT');
    expect(await child.stop(100)).toBe(exit);
  });

  describe('the child never outlives its parent', () => {
    const moduleUrl = new URL('./json-line-process.ts', import.meta.url).href;
    // A parent that starts a child (a plain `node -e` that exits when its stdin closes, as the
    // Python side does), prints the child's pid, and then either returns or waits forever.
    const parentScript = (waitForever: boolean): string => `
      const { JsonLineProcess } = await import(${JSON.stringify(moduleUrl)});
      const child = new JsonLineProcess({
        command: process.execPath,
        args: ['-e', "process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); setInterval(() => {}, 1000)"],
        onMessage: () => {},
      });
      console.log(child.pid);
      ${waitForever ? 'setInterval(() => {}, 1000);' : ''}
    `;
    const startParent = (waitForever: boolean) => {
      const parent = spawn(process.execPath, ['--conditions=@flowenv/source', '--import', 'tsx', '--input-type=module', '-e', parentScript(waitForever)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      });
      const childPid = new Promise<number>((resolve) => createInterface({ input: parent.stdout }).once('line', (line) => resolve(Number(line))));
      return { parent, childPid };
    };

    it('a parent with nothing else to do waits for kill() to finish instead of exiting early', async () => {
      // Regression: kill() used to leave the child unref'd while the caller awaited its exit, so
      // Node quit with the promise pending (a failed LocalDaskCluster.start() then said nothing).
      const script = `
        const { JsonLineProcess } = await import(${JSON.stringify(moduleUrl)});
        const child = new JsonLineProcess({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], onMessage: () => {} });
        const exit = await child.kill();
        console.log('killed by ' + exit.signal);
      `;
      const parent = spawn(process.execPath, ['--conditions=@flowenv/source', '--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      });
      let output = '';
      parent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const [code] = (await once(parent, 'exit')) as [number];
      expect(code).toBe(0);
      expect(output.trim()).toBe('killed by SIGKILL');
    }, 30_000);

    it('a parent that forgets close() still exits, and then its child does too', async () => {
      const { parent, childPid } = startParent(false);
      const pid = await childPid;
      const [code] = (await once(parent, 'exit')) as [number];
      expect(code).toBe(0);
      expect(await waitUntil(() => !alive(pid), 10_000)).toBe(true);
    }, 30_000);

    it('a parent killed with SIGKILL takes its child down (the child sees its stdin close)', async () => {
      const { parent, childPid } = startParent(true);
      const pid = await childPid;
      expect(alive(pid)).toBe(true);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      expect(await waitUntil(() => !alive(pid), 10_000)).toBe(true);
    }, 30_000);
  });
});
