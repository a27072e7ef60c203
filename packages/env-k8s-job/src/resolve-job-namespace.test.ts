import { describe, expect, it } from 'vitest';
import { resolveJobNamespace } from './resolve-job-namespace.js';

describe('resolveJobNamespace', () => {
  it('takes the option, then the context, then the spec, then the kubeconfig, then "default"', () => {
    const all = { option: 'option', context: 'context', spec: 'spec', kubeConfig: 'kubeconfig' };
    expect(resolveJobNamespace(all)).toBe('option');
    expect(resolveJobNamespace({ ...all, option: undefined })).toBe('context');
    expect(resolveJobNamespace({ ...all, option: undefined, context: '' })).toBe('spec');
    expect(resolveJobNamespace({ kubeConfig: 'kubeconfig' })).toBe('kubeconfig');
    expect(resolveJobNamespace({})).toBe('default');
  });
});
