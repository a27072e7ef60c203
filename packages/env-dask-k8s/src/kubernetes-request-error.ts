import type { V1Status } from '@kubernetes/client-node';

/**
 * An API server answer outside 2xx. Shaped like the SDK's ApiException (`code`, `body`, `headers`)
 * so that mapKubernetesError reads both the same way; `status` is the body as a Status, when it is one.
 */
export class KubernetesRequestError extends Error {
  readonly code: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly status: V1Status | undefined;

  constructor(options: { code: number; body: string; headers?: Record<string, string>; method: string; path: string }) {
    const status = parseStatus(options.body);
    super(`${options.method} ${options.path}: HTTP ${options.code}${status?.message ? `: ${status.message}` : ''}`);
    this.name = 'KubernetesRequestError';
    this.code = options.code;
    this.body = options.body;
    this.headers = options.headers ?? {};
    this.status = status;
  }
}

/** The body as a Kubernetes Status object, if it is one. */
export function parseStatus(body: unknown): V1Status | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as V1Status & { kind?: unknown };
  return candidate.kind === 'Status' || typeof candidate.message === 'string' || typeof candidate.reason === 'string' ? candidate : undefined;
}
