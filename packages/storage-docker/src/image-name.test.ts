import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { defaultImageName, defaultImageTag, fullImageName, imageNamePattern, imageTagPattern, registryHost, registryUrlPattern } from './image-name.js';

describe('fullImageName', () => {
  it('joins registry, image and tag (test_docker_storage_name)', () => {
    expect(fullImageName({ registryUrl: 'test1', imageName: 'test2', imageTag: 'test3' })).toBe('test1/test2:test3');
    expect(fullImageName({ registryUrl: '127.0.0.1:5000/team/', imageName: 'flows', imageTag: '1' })).toBe('127.0.0.1:5000/team/flows:1');
  });

  it('omits a missing registry (test_docker_storage_name_registry_url_none)', () => {
    expect(fullImageName({ imageName: 'test2', imageTag: 'test3' })).toBe('test2:test3');
  });

  it('is an error while the image name or tag is unset', () => {
    for (const reference of [{}, { imageName: 'test2' }, { imageTag: 'test3' }, { registryUrl: 'test1', imageName: '', imageTag: 'x' }]) {
      let caught: unknown;
      try {
        fullImageName(reference);
      } catch (error) {
        caught = error;
      }
      expect(FlowenvError.isInstance(caught)).toBe(true);
      expect(caught).toMatchObject({ code: 'STORAGE_INVALID' });
    }
    expect(() => fullImageName({ imageName: 'test2' })).toThrow(/imageTag unset.*call build\(\) first/);
  });
});

describe('defaults', () => {
  it('tags with the UTC time and a random suffix, valid for Docker', () => {
    const tag = defaultImageTag(new Date('2026-11-27T23:10:05.123Z'), 'a1b2c3');
    expect(tag).toBe('20261127-231005-a1b2c3');
    expect(imageTagPattern.test(tag)).toBe(true);
    expect(defaultImageTag()).not.toBe(defaultImageTag());
  });

  it('names the image after its only flow, else randomly (0.11)', () => {
    expect(defaultImageName(['My ETL flow!'])).toBe('my-etl-flow');
    expect(defaultImageName(['a', 'b'], 'cafe0001')).toBe('flowenv-flows-cafe0001');
    expect(defaultImageName([], 'cafe0002')).toBe('flowenv-flows-cafe0002');
    expect(imageNamePattern.test(defaultImageName(['?!~']))).toBe(true);
  });
});

describe('name rules', () => {
  it('accepts Docker repository names and rejects the rest', () => {
    for (const name of ['flows', 'team/flows', 'my-flows_1', 'a.b__c']) expect(imageNamePattern.test(name), name).toBe(true);
    for (const name of ['Flows', '-flows', 'flows-', 'team//flows', 'a b', '']) expect(imageNamePattern.test(name), name).toBe(false);
  });

  it('accepts registry hosts without a scheme', () => {
    for (const url of ['127.0.0.1:5000', 'registry.example.com/team', 'registry.example.com:443/a/b', 'localhost']) expect(registryUrlPattern.test(url), url).toBe(true);
    for (const url of ['http://127.0.0.1:5000', 'registry.example.com/Team', 'host:port']) expect(registryUrlPattern.test(url), url).toBe(false);
    expect(registryHost('127.0.0.1:5000/team/x')).toBe('127.0.0.1:5000');
  });
});
