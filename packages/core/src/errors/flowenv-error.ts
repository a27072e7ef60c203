/**
 * Every failure flowenv reports. Providers map SDK errors into it and keep the original as `cause`.
 * Messages say what to do next ("Pass `namespace` or set PREFECT__CONTEXT__NAMESPACE").
 */
export type FlowenvErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_FILE_NOT_FOUND'
  | 'OPTIONS_INVALID'
  | 'FLOW_INVALID'
  | 'FLOW_LOAD_FAILED'
  | 'PARAMETER_MISSING'
  | 'PARAMETER_UNKNOWN'
  | 'EXECUTOR_NOT_FOUND'
  | 'EXECUTOR_FAILED'
  | 'STORAGE_INVALID'
  | 'STORAGE_NOT_SUPPORTED'
  | 'FLOW_NOT_IN_STORAGE'
  | 'NOT_IMPLEMENTED'
  | 'SERIALIZATION_INVALID'
  | 'SERIALIZATION_UNSUPPORTED_TYPE'
  | 'SPECIFICATION_UNSUPPORTED'
  | 'PROVIDER_NOT_INSTALLED'
  | 'SECRET_NOT_FOUND'
  | 'RUN_FAILED'
  | 'AWS_ACCESS_DENIED'
  | 'AWS_CREDENTIALS_INVALID'
  | 'AWS_REGION_INVALID'
  | 'AWS_ENDPOINT_UNREACHABLE'
  | 'AWS_THROTTLED'
  | 'AWS_REQUEST_FAILED'
  | 'AWS_RUN_TASK_FAILED'
  | 'DOCKER_UNREACHABLE'
  | 'BASE_IMAGE_MISSING'
  | 'FLOW_BUNDLE_FAILED'
  | 'IMAGE_BUILD_FAILED'
  | 'IMAGE_HEALTH_CHECK_FAILED'
  | 'IMAGE_PUSH_FAILED'
  | 'REGISTRY_AUTH_FAILED'
  | 'K8S_CONFIG_INVALID'
  | 'K8S_UNREACHABLE'
  | 'K8S_UNAUTHORIZED'
  | 'K8S_FORBIDDEN'
  | 'K8S_NOT_FOUND'
  | 'K8S_CONFLICT'
  | 'K8S_INVALID'
  | 'K8S_THROTTLED'
  | 'K8S_REQUEST_FAILED'
  | 'ON_EXECUTE_FAILED'
  | 'DASK_CLUSTER_FAILED'
  | 'DASK_CLUSTER_TIMEOUT'
  | 'DASK_CLUSTER_TEARDOWN_FAILED';

const marker = Symbol.for('flowenv.error');

export interface FlowenvErrorOptions {
  code: FlowenvErrorCode;
  message: string;
  /** True when trying the same call again may succeed (throttling, a 5xx, a lost connection). */
  retryable?: boolean;
  cause?: unknown;
}

export class FlowenvError extends Error {
  readonly code: FlowenvErrorCode;
  readonly retryable: boolean;
  private readonly [marker] = true;

  constructor(options: FlowenvErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlowenvError';
    this.code = options.code;
    this.retryable = options.retryable ?? false;
  }

  /**
   * `instanceof` fails when two copies of core are installed side by side; the marker does not.
   */
  static isInstance(value: unknown): value is FlowenvError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
