import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, requireServiceEnv } from './testenv.js';

// The test node agent (tools/testenv/k8s-node-agent) stands in for the kubelet. Its smoke check
// drives Jobs through the real API server and the real job controller: a Job runs in Docker to
// Complete, a failing one ends Failed with its exit code, a missing image is ImagePullBackOff, a
// memory hog is OOMKilled, a Foreground delete removes the container, a missing Secret is
// CreateContainerConfigError and an unmatched nodeSelector is Unschedulable.
describe('the test node agent (kubelet stand-in)', () => {
  it('runs Jobs created through the real API server, reporting the outcomes a kubelet would', async () => {
    requireServiceEnv('k8s-node', ['KUBECONFIG', 'FLOWENV_K8S_NODE', 'DOCKER_HOST', 'FLOWENV_REGISTRY_URL']);
    const { stdout, stderr } = await promisify(execFile)('bash', [join(repositoryRoot, 'tools/testenv/services/k8s-node.sh'), 'check'], {
      env: { ...process.env, SERVICE: 'k8s-node' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const output = `${stdout}\n${stderr}`;
    const passed = [...output.matchAll(/\] PASS (.+?):/g)].map((match) => match[1]);
    expect(output).not.toMatch(/\] FAIL /);
    expect(passed.sort()).toEqual([
      'exit code 3 fails the job',
      'foreground deletion removes the container',
      'job completes, logs via API server, SA token + env',
      'memory limit gives OOMKilled',
      'missing image gives ImagePullBackOff',
      'missing secret gives CreateContainerConfigError',
      'nodeSelector mismatch is Unschedulable',
    ]);
  }, 240_000);
});
