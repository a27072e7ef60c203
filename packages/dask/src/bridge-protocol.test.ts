import { describe, expect, it } from 'vitest';
import { parseBridgeEvent } from './bridge-protocol.js';

describe('parseBridgeEvent', () => {
  it('reads every event the bridge writes', () => {
    expect(parseBridgeEvent({ op: 'connecting', python: '3.11.7', distributed: '2026.8.0' })).toEqual({ op: 'connecting', python: '3.11.7', distributed: '2026.8.0' });
    expect(parseBridgeEvent({ op: 'ready', scheduler: 'tcp://127.0.0.1:1', workers: 2, python: '3.11.7', distributed: '2026.8.0' }))
      .toEqual({ op: 'ready', scheduler: 'tcp://127.0.0.1:1', workers: 2, python: '3.11.7', distributed: '2026.8.0' });
    expect(parseBridgeEvent({ op: 'done', key: 'a-r1', state: { state: 'Success', result: [1], attempts: 1 } }))
      .toEqual({ op: 'done', key: 'a-r1', state: { state: 'Success', result: [1], attempts: 1 } });
    expect(parseBridgeEvent({ op: 'error', key: 'a-r1', name: 'KilledWorker', message: 'lost', traceback: 'Traceback' }))
      .toEqual({ op: 'error', key: 'a-r1', name: 'KilledWorker', message: 'lost', traceback: 'Traceback' });
    expect(parseBridgeEvent({ op: 'fatal', kind: 'missing-module', message: "No module named 'distributed'", module: 'distributed' }))
      .toEqual({ op: 'fatal', kind: 'missing-module', message: "No module named 'distributed'", module: 'distributed' });
  });

  it('fills in missing optional fields', () => {
    expect(parseBridgeEvent({ op: 'error', key: 'k' })).toEqual({ op: 'error', key: 'k', name: 'Error', message: '', traceback: '' });
    expect(parseBridgeEvent({ op: 'fatal' })).toEqual({ op: 'fatal', kind: 'internal', message: '' });
  });

  it('rejects what it does not know or what is malformed', () => {
    expect(parseBridgeEvent({ op: 'hello' })).toBeUndefined();
    expect(parseBridgeEvent({ op: 'done', key: 'k', state: { state: 'Exploded' } })).toBeUndefined();
    expect(parseBridgeEvent({ op: 'done', state: { state: 'Success', attempts: 1 } })).toBeUndefined();
    expect(parseBridgeEvent({ op: 'error' })).toBeUndefined();
  });
});
