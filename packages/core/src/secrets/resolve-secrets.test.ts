import { describe, expect, it } from 'vitest';
import { createLogger, setLogSink, type LogRecord } from '../logging/logger.js';
import { resolveStorageSecrets } from './resolve-secrets.js';

describe('resolveStorageSecrets (spec 9.1)', () => {
  it('fetches each named secret, context values first, then the source', async () => {
    const secrets = await resolveStorageSecrets(['A', 'B'], { A: 'from-context', C: 'kept' }, (name) => `source-${name}`);
    expect(secrets).toEqual({ A: 'from-context', B: 'source-B', C: 'kept' });
  });

  it('names the variable to set when a secret is missing', async () => {
    await expect(resolveStorageSecrets(['DB_PASSWORD'], {})).rejects.toMatchObject({
      code: 'SECRET_NOT_FOUND',
      message: 'The flow\'s storage needs secret "DB_PASSWORD": set PREFECT__CONTEXT__SECRETS__DB_PASSWORD where the flow runs',
    });
  });

  it('masks the values in logs from then on', async () => {
    await resolveStorageSecrets(['TOKEN'], { TOKEN: 's3cr3t-value' });
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      createLogger('flowenv.Test').info('using s3cr3t-value now');
    } finally {
      restore();
    }
    expect(records[0]?.message).toBe('using ******** now');
  });
});
