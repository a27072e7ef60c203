import { describe, expect, it } from 'vitest';
import { createLogger, setLogSink, type LogRecord } from '../logging/logger.js';
import { runWithLifecycle } from './run-lifecycle.js';

describe('runWithLifecycle (spec 1.6)', () => {
  it('runs onStart, the body, then onExit, and returns the body result', async () => {
    const calls: string[] = [];
    const result = await runWithLifecycle(
      { onStart: () => void calls.push('start'), onExit: async () => void calls.push('exit') },
      async () => {
        calls.push('body');
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(calls).toEqual(['start', 'body', 'exit']);
  });

  it('does not run the body nor onExit when onStart throws', async () => {
    const calls: string[] = [];
    const run = runWithLifecycle(
      {
        onStart: () => {
          throw new Error('no start');
        },
        onExit: () => void calls.push('exit'),
      },
      async () => void calls.push('body'),
    );
    await expect(run).rejects.toThrow('no start');
    expect(calls).toEqual([]);
  });

  it('logs a body error, runs onExit, then re-throws the same error', async () => {
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    const calls: string[] = [];
    const failure = new TypeError('bad flow');
    try {
      const run = runWithLifecycle({ onExit: () => void calls.push('exit'), logger: createLogger('flowenv.Test') }, async () => {
        throw failure;
      });
      await expect(run).rejects.toBe(failure);
    } finally {
      restore();
    }
    expect(calls).toEqual(['exit']);
    expect(records).toMatchObject([{ level: 'error', logger: 'flowenv.Test', message: 'Unexpected error raised during flow run: TypeError: bad flow' }]);
  });

  it('stays silent without a logger (LocalEnvironment)', async () => {
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      await expect(runWithLifecycle({}, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    } finally {
      restore();
    }
    expect(records).toEqual([]);
  });

  it('lets an onExit error replace the body error', async () => {
    const run = runWithLifecycle(
      {
        onExit: () => {
          throw new Error('exit failed');
        },
      },
      async () => {
        throw new Error('body failed');
      },
    );
    await expect(run).rejects.toThrow('exit failed');
  });
});
