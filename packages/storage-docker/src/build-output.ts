import type { DockerStreamEvent } from './read-docker-stream.js';

// eslint-disable-next-line no-control-regex -- Docker colours the stderr of RUN steps with ANSI escapes
const ansiEscape = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Build-stream text without the colour escapes Docker adds to RUN steps' stderr. */
export function plainText(text: string): string {
  return text.replace(ansiEscape, '');
}

/** The text lines of a build stream: messages joined (a line may span messages), colours removed. */
export function streamLines(events: readonly DockerStreamEvent[]): string[] {
  const text = events.map((event) => (typeof event.stream === 'string' ? event.stream : '')).join('');
  return plainText(text).split('\n').map((line) => line.trimEnd());
}

/** A `Step 3/7 : COPY …` header line. */
export function isStepHeader(line: string): boolean {
  return /^Step \d+\/\d+ : /.test(line);
}

/** A line a build step printed itself (not Docker's ` ---> abc`, `Removing intermediate container`, …). */
export function isStepOutput(line: string): boolean {
  return line.trim() !== '' && !line.startsWith(' ---> ') && !/^(Removing intermediate container|Successfully (built|tagged)) /.test(line);
}
