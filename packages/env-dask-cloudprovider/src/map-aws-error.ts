// Adapted from @flowenv/env-fargate (providers do not import each other; STYLE.md).
import { FlowenvError } from '@flowenv/core';

/** Where a failed call went, for messages that say what to fix. */
export interface AwsCallContext {
  /** The IAM action of the call, e.g. `ecs:RegisterTaskDefinition`. */
  action: string;
  region?: string | undefined;
  endpoint?: string | undefined;
}

const credentialErrors = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidAccessKeyId',
]);
const accessDeniedErrors = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'UnauthorizedException']);
const throttlingErrors = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const networkCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

interface ErrorFacts {
  name: string;
  message: string;
  code: string | undefined;
  status: number | undefined;
}

function factsOf(error: unknown): ErrorFacts {
  const value = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    Code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  return {
    name: typeof value.name === 'string' ? value.name : 'Error',
    message: typeof value.message === 'string' ? value.message : String(error),
    code: typeof value.code === 'string' ? value.code : typeof value.Code === 'string' ? value.Code : undefined,
    status: typeof value.$metadata?.httpStatusCode === 'number' ? value.$metadata.httpStatusCode : undefined,
  };
}

/**
 * True for AWS's "slow down" answers, including ECS's "Too many concurrent attempts to create a new
 * revision of the specified family" (a ClientException, so the SDK's own retry does not cover it).
 */
export function isThrottlingError(error: unknown): boolean {
  if (FlowenvError.isInstance(error)) return error.code === 'AWS_THROTTLED';
  const { name, message, status } = factsOf(error);
  return throttlingErrors.has(name) || status === 429 || /too many concurrent attempts|rate exceeded|throttl/i.test(message);
}

/**
 * Turns an AWS SDK (or network) error into a FlowenvError whose message says what to fix; the
 * original stays as `cause`. FlowenvErrors pass through unchanged.
 */
export function mapAwsError(error: unknown, context: AwsCallContext): FlowenvError {
  if (FlowenvError.isInstance(error)) return error;
  const facts = factsOf(error);
  const { name, message, code, status } = facts;
  const detail = `${name}: ${message}`;
  const where = context.endpoint ?? (context.region === undefined ? 'the AWS endpoint of the default region' : `the AWS endpoint of region ${context.region}`);

  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new FlowenvError({
      code: 'AWS_CREDENTIALS_INVALID',
      message: `${context.action}: no AWS credentials found (${detail}). Pass awsAccessKeyId and awsSecretAccessKey, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where the SDK's default chain finds credentials (task role, ~/.aws)`,
      cause: error,
    });
  }
  if (credentialErrors.has(name)) {
    return new FlowenvError({
      code: 'AWS_CREDENTIALS_INVALID',
      message: `${context.action}: AWS rejected the credentials (${detail}). Check awsAccessKeyId / awsSecretAccessKey / awsSessionToken (or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and that they belong to the region's partition`,
      cause: error,
    });
  }
  if (accessDeniedErrors.has(name) || (status === 403 && !isThrottlingError(error))) {
    return new FlowenvError({
      code: 'AWS_ACCESS_DENIED',
      message: `${context.action} was denied (${detail}). Allow ${context.action} for this identity (the @flowenv/env-dask-cloudprovider README lists every permission it needs)`,
      cause: error,
    });
  }
  if (isThrottlingError(error)) {
    return new FlowenvError({
      code: 'AWS_THROTTLED',
      message: `${context.action} was throttled by AWS after retries (${detail}); try again later or start fewer runs at once`,
      retryable: true,
      cause: error,
    });
  }
  if (/region is missing/i.test(message)) {
    return new FlowenvError({
      code: 'AWS_REGION_INVALID',
      message: `${context.action}: no AWS region. Pass regionName, or set AWS_REGION`,
      cause: error,
    });
  }
  if (/invalid region|region not accepted/i.test(message)) {
    return new FlowenvError({
      code: 'AWS_REGION_INVALID',
      message: `${context.action}: ${JSON.stringify(context.region)} is not a valid AWS region (${detail}). Pass regionName like "us-east-1", or set AWS_REGION`,
      cause: error,
    });
  }
  if ((code !== undefined && networkCodes.has(code)) || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new FlowenvError({
      code: 'AWS_ENDPOINT_UNREACHABLE',
      message: `${context.action}: cannot reach ${where} (${code ?? name}: ${message}). Check regionName (AWS_REGION) and endpoint, and this machine's network`,
      retryable: true,
      cause: error,
    });
  }
  if (name === 'SyntaxError' || /deserialization error/i.test(message)) {
    // Something answered, but not as AWS would: a wrong endpoint, or a region that endpoint does not serve.
    return new FlowenvError({
      code: 'AWS_ENDPOINT_UNREACHABLE',
      message: `${context.action}: ${where} did not answer like an AWS API${status === undefined ? '' : ` (HTTP ${status})`}. Check endpoint and regionName (AWS_REGION): is ${JSON.stringify(context.region ?? 'the default region')} a region this endpoint serves?`,
      cause: error,
    });
  }
  if (name === 'ClusterNotFoundException') {
    return new FlowenvError({
      code: 'AWS_REQUEST_FAILED',
      message: `${context.action} failed (${detail}): pass \`clusterArn\` naming an existing ECS cluster in this region, or leave it out to create one for the run`,
      cause: error,
    });
  }
  const serverSide = name === 'ServerException' || (status !== undefined && status >= 500);
  return new FlowenvError({
    code: 'AWS_REQUEST_FAILED',
    message: `${context.action} failed (${detail})`,
    retryable: serverSide,
    cause: error,
  });
}

/** True when the error's name or AWS code is one of `names` (`InvalidGroup.NotFound`, `NoSuchEntity`, …). */
export function hasAwsErrorName(error: unknown, ...names: string[]): boolean {
  const { name, code } = factsOf(error);
  const codeField = (typeof error === 'object' && error !== null ? (error as { Code?: unknown }).Code : undefined);
  return names.some((candidate) => candidate === name || candidate === code || candidate === codeField);
}

/** The error's message, for matching AWS's wording. */
export function awsErrorMessage(error: unknown): string {
  return factsOf(error).message;
}
