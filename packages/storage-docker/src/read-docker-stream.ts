/** One JSON message of a build, pull or push progress stream. */
export interface DockerStreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/**
 * Reads a Docker progress stream to its end, calling `onEvent` for each message, and returns them
 * all. It never rejects on an `error` message (Docker reports build and push failures inside a
 * 200 response): mapDockerStreamError decides what they mean.
 */
export async function readDockerStream(stream: NodeJS.ReadableStream, onEvent: (event: DockerStreamEvent) => void = () => {}): Promise<DockerStreamEvent[]> {
  const events: DockerStreamEvent[] = [];
  let pending = '';
  const take = (line: string) => {
    const text = line.trim();
    if (text === '') return;
    let event: DockerStreamEvent;
    try {
      event = JSON.parse(text) as DockerStreamEvent;
    } catch {
      event = { stream: `${text}\n` };
    }
    events.push(event);
    onEvent(event);
  };
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) take(line);
  }
  take(pending);
  return events;
}

/** Parses a recorded stream (one JSON message per line), as the unit tests replay them. */
export function parseDockerStream(text: string): DockerStreamEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as DockerStreamEvent);
}
