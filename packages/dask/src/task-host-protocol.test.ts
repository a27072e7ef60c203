import { describe, expect, it } from 'vitest';
import { encodeTaskHostResponse, failedState, parseResponseFd, parseTaskHostRequest } from './task-host-protocol.js';

describe('task host protocol', () => {
  it('reads a request into a runFlowTask request', () => {
    const line = '{"id":3,"task":"sum","run":{"flowLocation":"/f.ts","parameters":{"n":1},"runContext":{"secrets":{}}},"upstream":{"a":{"state":"Success","result":2,"attempts":1}}}';
    expect(parseTaskHostRequest(line)).toEqual({
      id: 3,
      request: {
        flowLocation: '/f.ts',
        taskName: 'sum',
        parameters: { n: 1 },
        runContext: { secrets: {} },
        upstream: { a: { state: 'Success', result: 2, attempts: 1 } },
      },
    });
  });

  it('refuses a malformed request', () => {
    expect(() => parseTaskHostRequest('{"id":1}')).toThrow('Malformed task host request');
    expect(() => parseTaskHostRequest('nope')).toThrow();
  });

  it('writes `<id>\\t<state JSON>\\n`', () => {
    expect(encodeTaskHostResponse(7, { state: 'Success', result: { x: [1] }, attempts: 1 })).toBe('7\t{"state":"Success","result":{"x":[1]},"attempts":1}\n');
  });

  it('turns a result JSON cannot carry into a Failed state that says so', () => {
    const line = encodeTaskHostResponse(1, { state: 'Success', result: 10n, attempts: 1, startedAt: 5 });
    const state = JSON.parse(line.slice(2)) as { state: string; message: string; result?: unknown; startedAt: number };
    expect(state.state).toBe('Failed');
    expect(state.message).toContain('cannot be sent as JSON');
    expect(state.message).toContain('return plain JSON data');
    expect(state.result).toBeUndefined();
    expect(state.startedAt).toBe(5);
  });

  it('makes a Failed state of any error', () => {
    expect(failedState(new RangeError('bad'))).toMatchObject({ state: 'Failed', attempts: 0, message: 'bad', error: { name: 'RangeError', message: 'bad' } });
  });

  it('reads --response-fd and insists on it', () => {
    expect(parseResponseFd(['node', 'task-host.js', '--response-fd=9'])).toBe(9);
    expect(() => parseResponseFd(['node', 'task-host.js'])).toThrow('--response-fd=N');
    expect(() => parseResponseFd(['--response-fd=1'])).toThrow('--response-fd=N');
  });
});
