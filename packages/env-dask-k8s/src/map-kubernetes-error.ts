import { FlowenvError } from '@flowenv/core';
import type { V1Status } from '@kubernetes/client-node';
import { parseStatus } from './kubernetes-request-error.js';

/** What a failed call tried to do, for messages that say what to fix. */
export interface KubernetesCallContext {
  /** The RBAC verb: create, get, list, watch, patch, delete. */
  verb: string;
  /** The RBAC resource: jobs, pods, pods/log, secrets. */
  resource: string;
  /** Its API group ("batch" for jobs, "" for the core group). */
  group?: string | undefined;
  namespace?: string | undefined;
  /** The object's name (or generateName prefix), when there is one. */
  name?: string | undefined;
  /** The API server's URL. */
  server?: string | undefined;
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const tlsCodes = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;
const retryableStatuses = new Set([429, 500, 502, 503, 504]);

interface ErrorFacts {
  /** HTTP status, when the server answered. */
  status: number | undefined;
  /** The answer as a Kubernetes Status, when it is one. */
  body: V1Status | undefined;
  /** A Node network or TLS error code. */
  networkCode: string | undefined;
  message: string;
  headers: Record<string, string>;
}

/**
 * Reads the shapes Kubernetes failures come in: the SDK's ApiException (`code` number, `body` text
 * or object, `headers`), this package's KubernetesRequestError (the same shape), the SDK Watch's
 * errors (`statusCode`), and Node network errors (`code` string, possibly on `cause`).
 */
export function kubernetesErrorFacts(error: unknown): ErrorFacts {
  const value = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    status?: unknown;
    headers?: unknown;
    message?: unknown;
    cause?: { code?: unknown };
  };
  const status = typeof value.code === 'number' ? value.code : typeof value.statusCode === 'number' ? value.statusCode : undefined;
  const networkCode = typeof value.code === 'string' ? value.code : typeof value.cause?.code === 'string' ? value.cause.code : undefined;
  const body = (typeof value.status === 'object' && value.status !== null ? (value.status as V1Status) : undefined) ?? parseStatus(value.body);
  const headers: Record<string, string> = {};
  if (typeof value.headers === 'object' && value.headers !== null) {
    for (const [name, header] of Object.entries(value.headers as Record<string, unknown>)) {
      if (typeof header === 'string') headers[name.toLowerCase()] = header;
    }
  }
  return { status, body, networkCode, message: typeof value.message === 'string' ? value.message : String(error), headers };
}

/** True for failures worth another try: throttling (429), server errors (5xx) and broken connections. */
export function isRetryableKubernetesError(error: unknown): boolean {
  if (FlowenvError.isInstance(error)) return error.retryable;
  const { status, networkCode, message } = kubernetesErrorFacts(error);
  if (status !== undefined) return retryableStatuses.has(status);
  return (networkCode !== undefined && networkCodes.has(networkCode)) || /socket hang up/i.test(message);
}

/** Seconds the server asked to wait (Retry-After), if it said. */
export function retryAfterSeconds(error: unknown): number | undefined {
  const header = kubernetesErrorFacts(error).headers['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * Turns a Kubernetes failure into a FlowenvError whose message says what to fix; the original stays
 * as `cause`. FlowenvErrors pass through unchanged.
 * - 401 → K8S_UNAUTHORIZED; 403 → K8S_FORBIDDEN naming the verb and resource to grant;
 * - 404 → K8S_NOT_FOUND (a missing namespace is named as such);
 * - 409 → K8S_CONFLICT (for a Job: suggests `uniqueJobName`);
 * - 400 and 422 → K8S_INVALID quoting the server's field causes;
 * - 429 → K8S_THROTTLED; 5xx → K8S_REQUEST_FAILED (both retryable);
 * - connection failures → K8S_UNREACHABLE (retryable), TLS failures → K8S_CONFIG_INVALID.
 */
export function mapKubernetesError(error: unknown, context: KubernetesCallContext): FlowenvError {
  if (FlowenvError.isInstance(error)) return error;
  const facts = kubernetesErrorFacts(error);
  const { status, body, networkCode } = facts;
  const serverSaid = body?.message ?? facts.message;
  const where = context.namespace === undefined ? '' : ` in namespace "${context.namespace}"`;
  const groupText = context.group ? ` in API group "${context.group}"` : context.group === '' ? ' in the core API group ("")' : '';
  const kind = singular(context.resource);
  const object = context.name === undefined ? `${context.resource}` : `${kind} "${context.name}"`;
  const server = context.server ?? 'the Kubernetes API server';

  if (status === undefined) {
    if (networkCode !== undefined && tlsCodes.test(networkCode)) {
      return new FlowenvError({
        code: 'K8S_CONFIG_INVALID',
        message: `Cannot ${context.verb} ${object}: the TLS connection to ${server} failed (${networkCode}: ${facts.message}). Check the cluster's certificate-authority in the kubeconfig`,
        cause: error,
      });
    }
    if ((networkCode !== undefined && networkCodes.has(networkCode)) || /socket hang up/i.test(facts.message)) {
      return new FlowenvError({
        code: 'K8S_UNREACHABLE',
        message: `Cannot ${context.verb} ${object}: ${server} is unreachable (${networkCode ?? 'connection closed'}: ${facts.message}). Check the cluster address in KUBECONFIG / ~/.kube/config and that the API server is up`,
        retryable: true,
        cause: error,
      });
    }
    return new FlowenvError({ code: 'K8S_REQUEST_FAILED', message: `Cannot ${context.verb} ${object}${where}: ${facts.message}`, cause: error });
  }

  switch (status) {
    case 401:
      return new FlowenvError({
        code: 'K8S_UNAUTHORIZED',
        message: `${server} rejected the credentials (401 Unauthorized) when trying to ${context.verb} ${object}${where}: check the user of the current kubeconfig context (token, client certificate, exec plugin) or the pod's service account token`,
        cause: error,
      });
    case 403:
      return new FlowenvError({
        code: 'K8S_FORBIDDEN',
        message: `Not allowed to ${context.verb} ${context.resource}${where} (403 Forbidden: ${serverSaid}). Grant the verb "${context.verb}" on resource "${context.resource}"${groupText} to this identity with a Role and RoleBinding; the @flowenv/env-dask-k8s README lists every rule DaskKubernetesEnvironment needs`,
        cause: error,
      });
    case 404: {
      const details = body?.details;
      if (details?.kind === 'namespaces') {
        return new FlowenvError({
          code: 'K8S_NOT_FOUND',
          message: `Namespace "${details.name ?? context.namespace}" does not exist: create it, or pass \`namespace\` (or set PREFECT__CONTEXT__NAMESPACE) to use another one`,
          cause: error,
        });
      }
      return new FlowenvError({ code: 'K8S_NOT_FOUND', message: `Cannot ${context.verb} ${object}${where}: not found (${serverSaid})`, cause: error });
    }
    case 409:
      return new FlowenvError({
        code: 'K8S_CONFLICT',
        message: context.resource === 'jobs' && context.verb === 'create'
          ? `A Job named "${context.name}" already exists${where}: set \`uniqueJobName: true\` (the default) so that every run gets its own name, or use metadata.generateName in the job spec instead of metadata.name`
          : `Cannot ${context.verb} ${object}${where}: conflict (${serverSaid})`,
        cause: error,
      });
    case 400:
    case 422: {
      const causes = (body?.details?.causes ?? [])
        .map((cause) => (cause.field ? `${cause.field}: ${cause.message ?? cause.reason ?? ''}` : (cause.message ?? cause.reason ?? '')))
        .filter((text) => text !== '');
      return new FlowenvError({
        code: 'K8S_INVALID',
        message: `Kubernetes rejected the ${object}${where} as invalid (${status} ${body?.reason ?? (status === 422 ? 'Invalid' : 'BadRequest')}): ${causes.length > 0 ? causes.join('; ') : serverSaid}`,
        cause: error,
      });
    }
    case 429:
      return new FlowenvError({
        code: 'K8S_THROTTLED',
        message: `${server} throttled the request to ${context.verb} ${object} (429 Too Many Requests) after retries: try again later or start fewer runs at once`,
        retryable: true,
        cause: error,
      });
    default:
      return new FlowenvError({
        code: 'K8S_REQUEST_FAILED',
        message: `Cannot ${context.verb} ${object}${where}: HTTP ${status}${body?.reason ? ` ${body.reason}` : ''}: ${serverSaid}`,
        retryable: retryableStatuses.has(status),
        cause: error,
      });
  }
}

function singular(resource: string): string {
  const names: Record<string, string> = { jobs: 'Job', pods: 'Pod', 'pods/log': 'log of Pod', secrets: 'Secret' };
  return names[resource] ?? resource;
}
