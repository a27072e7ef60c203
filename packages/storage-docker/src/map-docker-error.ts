import { FlowenvError, type FlowenvErrorCode } from '@flowenv/core';
import { healthCheckPath } from './image-layout.js';
import { healthCheckErrorMarker, healthCheckPrefix } from './health-check.js';
import { isStepOutput, streamLines } from './build-output.js';
import type { DockerStreamEvent } from './read-docker-stream.js';

const unreachableCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOENT', 'EACCES', 'EPERM', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN',
]);
const authFailure = /unauthori[sz]ed|authentication required|no basic auth credentials|incorrect username or password|requested access to the resource is denied|\bdenied\b|\b401\b/i;
const missingImage = /pull access denied|repository does not exist|manifest unknown|not found|no such image/i;
const transientFailure = /connection refused|connection reset|i\/o timeout|timeout|EOF|temporarily unavailable|502|503|504/i;

export interface DockerApiErrorContext {
  /** Where the engine is and where that came from (DockerConnection.description). */
  engine: string;
  /** What was being done, for the message: "building 127.0.0.1:5000/hello:1". */
  operation: string;
  /** The code for an error the engine answered with (it was reachable). */
  code: FlowenvErrorCode;
}

/** A dockerode call that threw: an unreachable engine (naming DOCKER_HOST), or the engine's own answer. */
export function mapDockerApiError(error: unknown, context: DockerApiErrorContext): FlowenvError {
  if (FlowenvError.isInstance(error)) return error;
  const details = error as { code?: unknown; statusCode?: unknown; json?: { message?: unknown } | null; message?: unknown };
  const systemCode = typeof details.code === 'string' ? details.code : undefined;
  const message = engineMessage(error);
  if ((systemCode !== undefined && unreachableCodes.has(systemCode)) || /socket hang up|connect E[A-Z]+/.test(message)) {
    const permission = systemCode === 'EACCES' || systemCode === 'EPERM';
    return new FlowenvError({
      code: 'DOCKER_UNREACHABLE',
      retryable: !permission,
      message: permission
        ? `Cannot use the Docker engine at ${context.engine} while ${context.operation}: ${message}. This user may not open the socket (join the docker group), or point DOCKER_HOST (or the dockerHost option) at an engine it may use.`
        : `Cannot reach the Docker engine at ${context.engine} while ${context.operation}: ${message}. Start the engine, or point DOCKER_HOST (or the dockerHost option) at a running one.`,
      cause: error,
    });
  }
  const status = typeof details.statusCode === 'number' ? details.statusCode : undefined;
  const code: FlowenvErrorCode = status === 401 ? 'REGISTRY_AUTH_FAILED' : context.code;
  return new FlowenvError({
    code,
    retryable: status !== undefined && status >= 500 && transientFailure.test(message),
    message: `Docker engine at ${context.engine} failed while ${context.operation}: ${message}`,
    cause: error,
  });
}

/** The engine's own words for a failed call (its JSON `message`), without dockerode's "(HTTP code …)" prefix. */
export function engineMessage(error: unknown): string {
  const details = error as { json?: { message?: unknown } | null; message?: unknown } | null;
  const fromJson = details?.json?.message;
  if (typeof fromJson === 'string' && fromJson !== '') return fromJson.trim();
  return String(details?.message ?? error).trim();
}

interface FailedStep {
  /** `Step 3/7 : COPY …` without the `Step ` prefix: `3/7 : COPY …`. */
  label: string | undefined;
  instruction: string | undefined;
  output: string[];
}

/** The build step that was running when the stream reported an error, and what it printed. */
function failedStep(events: readonly DockerStreamEvent[], errorIndex: number): FailedStep {
  const step: FailedStep = { label: undefined, instruction: undefined, output: [] };
  for (const line of streamLines(events.slice(0, errorIndex))) {
    const header = /^Step (\d+\/\d+) : (.*)$/.exec(line.trim());
    if (header) {
      step.label = header[1];
      step.instruction = header[2];
      step.output = [];
    } else if (isStepOutput(line)) {
      step.output.push(line);
    }
  }
  return step;
}

function streamErrorMessage(event: DockerStreamEvent): string {
  return (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
}

/**
 * The error a build stream reports, as a FlowenvError naming the failing step; undefined when the
 * build succeeded. A failing health check step names the flows that failed and why.
 */
export function mapBuildStreamError(events: readonly DockerStreamEvent[], context: { imageName: string; baseImage: string }): FlowenvError | undefined {
  const errorIndex = events.findIndex((event) => event.error !== undefined || event.errorDetail !== undefined);
  if (errorIndex < 0) return undefined;
  const reported = streamErrorMessage(events[errorIndex] as DockerStreamEvent);
  const step = failedStep(events, errorIndex);
  const where = step.label === undefined ? '' : ` at step ${step.label} (${step.instruction})`;

  if (step.instruction?.includes(healthCheckPath)) {
    const marker = `${healthCheckPrefix} ${healthCheckErrorMarker} `;
    const problems = step.output.filter((line) => line.startsWith(marker)).map((line) => line.slice(marker.length).trim());
    return new FlowenvError({
      code: 'IMAGE_HEALTH_CHECK_FAILED',
      message: `Image ${context.imageName} failed its health check: ${problems.length > 0 ? problems.join('; ') : reported}`,
    });
  }
  if (step.instruction?.startsWith('FROM ')) {
    return new FlowenvError({
      code: 'BASE_IMAGE_MISSING',
      message: `Base image ${context.baseImage} is not available to the Docker engine (${reported}): build or load it there, or pass another baseImage`,
    });
  }
  const output = step.output.slice(-5).join(' | ');
  return new FlowenvError({
    code: 'IMAGE_BUILD_FAILED',
    message: `Building ${context.imageName} failed${where}: ${reported}${output === '' ? '' : ` (output: ${output})`}`,
  });
}

export interface PushContext {
  imageName: string;
  registry: string;
  /** The user the push authenticated as, if any (never the password). */
  username: string | undefined;
}

/** The error a push stream reports, as a FlowenvError; undefined when the push succeeded. */
export function mapPushStreamError(events: readonly DockerStreamEvent[], context: PushContext): FlowenvError | undefined {
  const failure = events.find((event) => event.error !== undefined || event.errorDetail !== undefined);
  if (failure === undefined) return undefined;
  const reported = streamErrorMessage(failure);
  if (authFailure.test(reported)) return registryAuthError(reported, context, 'push');
  const layer = [...events].reverse().find((event) => event.id !== undefined && event.status !== undefined && event !== failure);
  return new FlowenvError({
    code: 'IMAGE_PUSH_FAILED',
    retryable: transientFailure.test(reported),
    message: `Pushing ${context.imageName} to ${context.registry} failed${layer ? ` at layer ${layer.id} (${layer.status})` : ''}: ${reported}`,
  });
}

/** The error a pull stream (of the base image) reports; undefined when the pull succeeded. */
export function mapPullStreamError(events: readonly DockerStreamEvent[], context: PushContext): FlowenvError | undefined {
  const failure = events.find((event) => event.error !== undefined || event.errorDetail !== undefined);
  if (failure === undefined) return undefined;
  const reported = streamErrorMessage(failure);
  if (authFailure.test(reported) && !/pull access denied/i.test(reported)) return registryAuthError(reported, context, 'pull');
  return new FlowenvError({
    code: missingImage.test(reported) ? 'BASE_IMAGE_MISSING' : 'IMAGE_BUILD_FAILED',
    retryable: transientFailure.test(reported),
    message: `Pulling base image ${context.imageName} failed: ${reported}`,
  });
}

function registryAuthError(reported: string, context: PushContext, action: 'push' | 'pull'): FlowenvError {
  const who = context.username === undefined ? 'without credentials' : `as "${context.username}"`;
  const fix = context.username === undefined
    ? 'pass registryUsername and registryPassword (or set FLOWENV_REGISTRY_USERNAME and FLOWENV_REGISTRY_PASSWORD)'
    : 'check registryUsername and registryPassword (or FLOWENV_REGISTRY_USERNAME and FLOWENV_REGISTRY_PASSWORD) and that this user may ' + action + ' there';
  return new FlowenvError({
    code: 'REGISTRY_AUTH_FAILED',
    message: `Registry ${context.registry} refused to let ${context.imageName} be ${action === 'push' ? 'pushed' : 'pulled'} ${who} (${reported}): ${fix}`,
  });
}
