import { describe, expect, it } from 'vitest';
import { createLogger, maskSecrets, registerSecretValue, setLogLevel, setLogSink, type LogRecord } from './logger.js';

function capture(action: () => void): LogRecord[] {
  const records: LogRecord[] = [];
  const restore = setLogSink((record) => records.push(record));
  try {
    action();
  } finally {
    restore();
  }
  return records;
}

describe('logger', () => {
  it('drops records below the level and keeps the rest', () => {
    const logger = createLogger('flowenv.L');
    setLogLevel('WARN');
    try {
      const records = capture(() => {
        logger.info('quiet');
        logger.warn('loud');
        logger.critical('louder');
      });
      expect(records.map((record) => [record.level, record.message])).toEqual([['warn', 'loud'], ['critical', 'louder']]);
    } finally {
      setLogLevel('INFO');
    }
  });

  it('masks registered secret values, but not very short ones', () => {
    registerSecretValue('tok-123456');
    registerSecretValue('ab');
    expect(maskSecrets('Bearer tok-123456 and ab')).toBe('Bearer ******** and ab');
  });
});
