import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readDockerStream } from './read-docker-stream.js';

describe('readDockerStream', () => {
  it('reads JSON messages split anywhere across chunks, and keeps error messages without throwing', async () => {
    const chunks = ['{"stream":"Step 1/2 : FROM x"}\r\n{"str', 'eam":"\\n"}\r\n', '{"error":"boom","errorDetail":{"message":"boom"}}'];
    const seen: unknown[] = [];
    const events = await readDockerStream(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), (event) => seen.push(event));
    expect(events).toEqual([{ stream: 'Step 1/2 : FROM x' }, { stream: '\n' }, { error: 'boom', errorDetail: { message: 'boom' } }]);
    expect(seen).toEqual(events);
  });

  it('keeps a line that is not JSON as build output', async () => {
    expect(await readDockerStream(Readable.from(['plain text\n']))).toEqual([{ stream: 'plain text\n' }]);
  });
});
