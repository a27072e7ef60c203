import { ECSServiceException } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { awsError, clientException } from './__fixtures__/fake-aws.js';
import { isThrottlingError, mapAwsError } from './map-aws-error.js';

const context = { action: 'ecs:RunTask', region: 'eu-west-1' };

/** A real SDK exception object, as the ECS client throws it. */
function sdkException(name: string, message: string, status = 400): ECSServiceException {
  return new ECSServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

describe('mapAwsError', () => {
  it('maps rejected credentials to AWS_CREDENTIALS_INVALID naming the options and variables', () => {
    for (const name of ['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException']) {
      const original = sdkException(name, 'The security token included in the request is invalid.');
      const error = mapAwsError(original, context);
      expect(error.code).toBe('AWS_CREDENTIALS_INVALID');
      expect(error.message).toContain('AWS rejected the credentials');
      expect(error.message).toContain('AWS_ACCESS_KEY_ID');
      expect(error.cause).toBe(original);
    }
  });

  it('maps "no credentials anywhere" to AWS_CREDENTIALS_INVALID', () => {
    const error = mapAwsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), context);
    expect(error.code).toBe('AWS_CREDENTIALS_INVALID');
    expect(error.message).toContain('no AWS credentials found');
  });

  it('maps access denied to AWS_ACCESS_DENIED naming the IAM action', () => {
    const error = mapAwsError(sdkException('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: ecs:RunTask'), context);
    expect(error.code).toBe('AWS_ACCESS_DENIED');
    expect(error.message).toMatch(/^ecs:RunTask was denied .*Allow ecs:RunTask/);
  });

  it('maps throttling to a retryable AWS_THROTTLED', () => {
    for (const original of [sdkException('ThrottlingException', 'Rate exceeded'), clientException('Too many concurrent attempts to create a new revision of the specified family.')]) {
      expect(isThrottlingError(original)).toBe(true);
      const error = mapAwsError(original, context);
      expect(error.code).toBe('AWS_THROTTLED');
      expect(error.retryable).toBe(true);
    }
    expect(isThrottlingError(clientException('Unable to describe task definition.'))).toBe(false);
  });

  it('maps a missing or malformed region to AWS_REGION_INVALID', () => {
    expect(mapAwsError(new Error('Region is missing'), context).code).toBe('AWS_REGION_INVALID');
    const malformed = mapAwsError(new Error('Region not accepted: region="not a region" is not a valid hostname component.'), { ...context, region: 'not a region' });
    expect(malformed.code).toBe('AWS_REGION_INVALID');
    expect(malformed.message).toContain('"not a region" is not a valid AWS region');
  });

  it('maps network failures to a retryable AWS_ENDPOINT_UNREACHABLE naming region and endpoint', () => {
    const unknownRegion = mapAwsError(Object.assign(new Error('getaddrinfo ENOTFOUND ecs.mars-north-1.amazonaws.com'), { code: 'ENOTFOUND' }), { ...context, region: 'mars-north-1' });
    expect(unknownRegion.code).toBe('AWS_ENDPOINT_UNREACHABLE');
    expect(unknownRegion.retryable).toBe(true);
    expect(unknownRegion.message).toContain('region mars-north-1');
    const refused = mapAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), { ...context, endpoint: 'http://127.0.0.1:1' });
    expect(refused.message).toContain('cannot reach http://127.0.0.1:1');
  });

  it('maps an answer that is not an AWS response (wrong endpoint, region it does not serve)', () => {
    const original = Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: …'), { $metadata: { httpStatusCode: 404 } });
    const error = mapAwsError(original, { ...context, endpoint: 'http://127.0.0.1:45001', region: 'mars-north-1' });
    expect(error.code).toBe('AWS_ENDPOINT_UNREACHABLE');
    expect(error.message).toContain('did not answer like an AWS API (HTTP 404)');
    expect(error.message).toContain('"mars-north-1"');
  });

  it('maps anything else to AWS_REQUEST_FAILED, retryable only for server faults', () => {
    const client = mapAwsError(sdkException('InvalidParameterException', 'Task definition does not support launch_type FARGATE.'), context);
    expect(client).toMatchObject({ code: 'AWS_REQUEST_FAILED', retryable: false });
    expect(client.message).toBe('ecs:RunTask failed (InvalidParameterException: Task definition does not support launch_type FARGATE.)');
    expect(mapAwsError(awsError('ServerException', 'Service unavailable', 500), context)).toMatchObject({ code: 'AWS_REQUEST_FAILED', retryable: true });
    expect(mapAwsError(sdkException('ClusterNotFoundException', 'Cluster not found.'), context).message).toContain('pass `cluster`');
  });

  it('passes FlowenvErrors through', () => {
    const original = new FlowenvError({ code: 'OPTIONS_INVALID', message: 'x' });
    expect(mapAwsError(original, context)).toBe(original);
  });
});
