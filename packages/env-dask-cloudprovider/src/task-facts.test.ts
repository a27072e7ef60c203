import { describe, expect, it } from 'vitest';
import { isEnding, isRunning, privateIpOf, stopReasonOf, taskIdOf } from './task-facts.js';

describe('task facts', () => {
  const attached = {
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    attachments: [
      { type: 'ElasticNetworkInterface', details: [{ name: 'networkInterfaceId', value: 'eni-1' }, { name: 'privateIPv4Address', value: '10.1.2.3' }] },
    ],
  };

  it('reads the private IP from the ENI attachment', () => {
    expect(privateIpOf(attached)).toBe('10.1.2.3');
    expect(privateIpOf({ attachments: [{ type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [{ name: 'subnetId', value: 's' }] }] })).toBeUndefined();
    expect(privateIpOf({})).toBeUndefined();
  });

  it('knows running from ending', () => {
    expect(isRunning(attached)).toBe(true);
    expect(isRunning({ ...attached, desiredStatus: 'STOPPED' })).toBe(false);
    expect(isEnding({ lastStatus: 'DEACTIVATING' })).toBe(true);
    expect(isEnding({ lastStatus: 'PENDING', desiredStatus: 'STOPPED' })).toBe(true);
    expect(isEnding({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' })).toBe(false);
  });

  it('explains a stop with ECS\'s reason, stop code and each container\'s reason or exit code', () => {
    expect(stopReasonOf({
      lastStatus: 'STOPPED',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      stopCode: 'TaskFailedToStart',
      containers: [{ name: 'dask-worker', reason: 'CannotPullContainerError' }, { name: 'sidecar', exitCode: 137 }, { name: 'quiet' }],
    })).toBe('CannotPullContainerError: pull image manifest has been retried 5 time(s) (TaskFailedToStart); dask-worker: CannotPullContainerError; sidecar: exit code 137');
    expect(stopReasonOf({ lastStatus: 'STOPPED' })).toBe('no reason given');
    expect(taskIdOf('arn:aws:ecs:eu-west-1:1:task/cluster/abc123')).toBe('abc123');
  });
});
