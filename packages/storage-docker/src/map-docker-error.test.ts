import { readFileSync } from 'node:fs';
import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { mapBuildStreamError, mapDockerApiError, mapPullStreamError, mapPushStreamError } from './map-docker-error.js';
import { parseDockerStream, type DockerStreamEvent } from './read-docker-stream.js';

/** A progress stream recorded from the test engine (see __fixtures__/streams). */
function recorded(name: string): DockerStreamEvent[] {
  return parseDockerStream(readFileSync(new URL(`./__fixtures__/streams/${name}.jsonl`, import.meta.url), 'utf8'));
}

const build = { imageName: '127.0.0.1:5000/flows:1', baseImage: 'flowenv/node-base:20' };
const push = { imageName: '127.0.0.1:45000/record/streams:ok', registry: '127.0.0.1:45000', username: 'flowenv' };

describe('mapBuildStreamError', () => {
  it('finds nothing wrong in a successful build', () => {
    expect(mapBuildStreamError(recorded('build-success'), build)).toBeUndefined();
  });

  it('names the flow that cannot load in the image', () => {
    const error = mapBuildStreamError(recorded('build-health-check-load-failure'), build);
    expect(FlowenvError.isInstance(error)).toBe(true);
    expect(error?.code).toBe('IMAGE_HEALTH_CHECK_FAILED');
    expect(error?.message).toBe(
      'Image 127.0.0.1:5000/flows:1 failed its health check: flow "fails-in-image": cannot be loaded from /opt/prefect/flows/fails-in-image.mjs: this flow cannot load inside the image',
    );
  });

  it('names the flow and the dependency its environment lacks (0.11 wording)', () => {
    const error = mapBuildStreamError(recorded('build-health-check-missing-dependency'), build);
    expect(error?.code).toBe('IMAGE_HEALTH_CHECK_FAILED');
    expect(error?.message).toContain('flow "missing-dependency": Using NeedsSdkEnvironment requires the `flowenv-sdk-that-is-not-installed` dependency');
  });

  it('names the failing step and quotes what it printed, without colour codes', () => {
    const error = mapBuildStreamError(recorded('build-run-step-failure'), build);
    expect(error?.code).toBe('IMAGE_BUILD_FAILED');
    expect(error?.message).toMatch(/^Building 127\.0\.0\.1:5000\/flows:1 failed at step 3\/3 \(RUN \["node", "-e", .*\): The command .* returned a non-zero code: 3 \(output: compiling \| out of cheese\)$/);
    expect(error?.message).not.toContain('\u001b');
  });

  it('names a failing COPY step', () => {
    const error = mapBuildStreamError(recorded('build-copy-failure'), build);
    expect(error?.code).toBe('IMAGE_BUILD_FAILED');
    expect(error?.message).toContain('failed at step 2/2 (COPY ["missing.txt", "/missing.txt"]): COPY failed: file not found in build context');
  });

  it('reports a FROM that cannot be satisfied as a missing base image, naming it', () => {
    const error = mapBuildStreamError(recorded('build-missing-base-image'), { ...build, baseImage: '127.0.0.1:45000/flowenv/no-such-base:1' });
    expect(error?.code).toBe('BASE_IMAGE_MISSING');
    expect(error?.message).toContain('Base image 127.0.0.1:45000/flowenv/no-such-base:1 is not available');
  });
});

describe('mapPushStreamError', () => {
  it('finds nothing wrong in a successful push', () => {
    expect(mapPushStreamError(recorded('push-success'), push)).toBeUndefined();
  });

  it('reports refused credentials as a registry auth failure, without the password', () => {
    const error = mapPushStreamError(recorded('push-unauthorized'), push);
    expect(error?.code).toBe('REGISTRY_AUTH_FAILED');
    expect(error?.message).toBe(
      'Registry 127.0.0.1:45000 refused to let 127.0.0.1:45000/record/streams:ok be pushed as "flowenv" (unauthorized: authentication required): check registryUsername and registryPassword (or FLOWENV_REGISTRY_USERNAME and FLOWENV_REGISTRY_PASSWORD) and that this user may push there',
    );
  });

  it('says to pass credentials when there were none', () => {
    const error = mapPushStreamError(recorded('push-no-credentials'), { ...push, username: undefined });
    expect(error?.code).toBe('REGISTRY_AUTH_FAILED');
    expect(error?.message).toContain('without credentials (no basic auth credentials): pass registryUsername and registryPassword');
  });

  it('names the layer of any other push failure', () => {
    const events: DockerStreamEvent[] = [
      { status: 'The push refers to repository [127.0.0.1:45000/x]' },
      { status: 'Pushing', id: 'abc123', progressDetail: { current: 10, total: 100 } },
      { error: 'blob upload unknown', errorDetail: { message: 'blob upload unknown' } },
    ];
    const error = mapPushStreamError(events, push);
    expect(error?.code).toBe('IMAGE_PUSH_FAILED');
    expect(error?.message).toBe('Pushing 127.0.0.1:45000/record/streams:ok to 127.0.0.1:45000 failed at layer abc123 (Pushing): blob upload unknown');
  });
});

describe('mapPullStreamError', () => {
  it('tells a missing image from refused credentials', () => {
    const context = { imageName: 'x/base:1', registry: 'x', username: undefined };
    expect(mapPullStreamError([{ error: 'manifest unknown' }], context)?.code).toBe('BASE_IMAGE_MISSING');
    expect(mapPullStreamError([{ error: 'pull access denied for x/base, repository does not exist' }], context)?.code).toBe('BASE_IMAGE_MISSING');
    expect(mapPullStreamError([{ error: 'unauthorized: authentication required' }], context)?.code).toBe('REGISTRY_AUTH_FAILED');
    expect(mapPullStreamError([{ status: 'Pull complete', id: 'a' }], context)).toBeUndefined();
  });
});

describe('mapDockerApiError', () => {
  const context = { engine: 'unix:///nowhere.sock (from DOCKER_HOST)', operation: 'connecting', code: 'IMAGE_BUILD_FAILED' as const };

  it('names DOCKER_HOST when the engine cannot be reached', () => {
    const refused = Object.assign(new Error('connect ENOENT /nowhere.sock'), { code: 'ENOENT' });
    const error = mapDockerApiError(refused, context);
    expect(error.code).toBe('DOCKER_UNREACHABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(refused);
    expect(error.message).toBe(
      'Cannot reach the Docker engine at unix:///nowhere.sock (from DOCKER_HOST) while connecting: connect ENOENT /nowhere.sock. Start the engine, or point DOCKER_HOST (or the dockerHost option) at a running one.',
    );
  });

  it('says when the socket is there but not ours to open', () => {
    const denied = Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' });
    const error = mapDockerApiError(denied, context);
    expect(error.code).toBe('DOCKER_UNREACHABLE');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('join the docker group');
  });

  it("keeps the engine's own message for an answered call", () => {
    const answered = Object.assign(new Error('(HTTP code 500) server error - engine exploded'), { statusCode: 500, json: { message: 'engine exploded' } });
    const error = mapDockerApiError(answered, { ...context, operation: 'building x:1' });
    expect(error.code).toBe('IMAGE_BUILD_FAILED');
    expect(error.message).toBe('Docker engine at unix:///nowhere.sock (from DOCKER_HOST) failed while building x:1: engine exploded');
    const unauthorized = Object.assign(new Error('(HTTP code 401) unauthorized'), { statusCode: 401 });
    expect(mapDockerApiError(unauthorized, context).code).toBe('REGISTRY_AUTH_FAILED');
  });

  it('passes FlowenvErrors through', () => {
    const original = new FlowenvError({ code: 'STORAGE_INVALID', message: 'x' });
    expect(mapDockerApiError(original, context)).toBe(original);
  });
});
