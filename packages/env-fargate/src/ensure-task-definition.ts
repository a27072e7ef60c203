import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
  type Tag,
} from '@aws-sdk/client-ecs';
import type { Logger } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import { mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { contentHash, differingPaths, normalizeTaskDefinition } from './normalize-task-definition.js';
import { retryThrottled, type RetryOptions } from './retry-throttled.js';

/** A family's definition as this process last saw it in ECS. */
export interface CachedTaskDefinition {
  /** The revision's ARN. */
  taskDefinitionArn: string;
  /** {@link contentHash} of its normalized content. */
  hash: string;
}

/**
 * What this process knows about task definitions, per AWS scope (endpoint, region, identity) and
 * family, plus the registrations under way, so concurrent setups of one definition share one.
 */
export interface TaskDefinitionCache {
  readonly known: Map<string, CachedTaskDefinition>;
  readonly inFlight: Map<string, Promise<EnsureTaskDefinitionResult>>;
}

export function createTaskDefinitionCache(): TaskDefinitionCache {
  return { known: new Map(), inFlight: new Map() };
}

/** The cache every FargateTaskEnvironment of this process shares. */
export const processTaskDefinitionCache: TaskDefinitionCache = createTaskDefinitionCache();

/** Forgets every task definition this process has seen (for tests and benchmarks). */
export function clearTaskDefinitionCache(cache: TaskDefinitionCache = processTaskDefinitionCache): void {
  cache.known.clear();
}

export interface EnsureTaskDefinitionResult {
  taskDefinitionArn: string;
  /** True when this call registered a new revision. */
  registered: boolean;
  /** Where the answer came from: this process's cache, the family's latest active revision, or a new registration. */
  source: 'cache' | 'described' | 'registered';
}

export interface EnsureTaskDefinitionOptions {
  /** Keeps caches of different endpoints, regions and identities apart. */
  scope: string;
  cache?: TaskDefinitionCache;
  retry?: RetryOptions;
  logger?: Logger;
  /** Region and endpoint, for error messages. */
  callContext?: Omit<AwsCallContext, 'action'>;
}

/**
 * The ARN this process saw for exactly this content of the family (after setup), else undefined.
 * No AWS call.
 */
export function cachedTaskDefinitionArn(
  wanted: RegisterTaskDefinitionCommandInput,
  options: { scope: string; cache?: TaskDefinitionCache },
): string | undefined {
  const known = (options.cache ?? processTaskDefinitionCache).known.get(familyKeyOf(options.scope, wanted.family ?? ''));
  return known?.hash === contentHash(normalizeTaskDefinition(wanted)) ? known.taskDefinitionArn : undefined;
}

/**
 * setup's core (spec 3.2, fixed): makes sure the family's latest ACTIVE revision has the wanted
 * content and returns its ARN.
 *
 * - This process already saw that content for the family → no AWS call.
 * - Else DescribeTaskDefinition(family): same content after normalisation → reuse it; missing
 *   family → register; any other error (access denied, throttling after retries, …) is reported,
 *   not mistaken for "missing" as 0.11 did.
 * - Different content → RegisterTaskDefinition (a changed image or cpu yields a new revision).
 * - Concurrent calls for the same family and content share one describe/register.
 * - Throttling and "too many concurrent attempts" are retried with jittered, bounded backoff.
 */
export async function ensureTaskDefinition(
  clients: Pick<AwsClients, 'ecs'>,
  wanted: RegisterTaskDefinitionCommandInput,
  options: EnsureTaskDefinitionOptions,
): Promise<EnsureTaskDefinitionResult> {
  const cache = options.cache ?? processTaskDefinitionCache;
  const family = wanted.family ?? '';
  const wantedContent = normalizeTaskDefinition(wanted);
  const hash = contentHash(wantedContent);
  const familyKey = familyKeyOf(options.scope, family);
  const known = cache.known.get(familyKey);
  if (known?.hash === hash) return { taskDefinitionArn: known.taskDefinitionArn, registered: false, source: 'cache' };

  const flightKey = `${familyKey}\u0000${hash}`;
  const pending = cache.inFlight.get(flightKey);
  if (pending !== undefined) return pending;

  const work = (async (): Promise<EnsureTaskDefinitionResult> => {
    const context = (action: string): AwsCallContext => ({ action, ...options.callContext });
    const described = await describeLatest(clients, family, options.retry, context('ecs:DescribeTaskDefinition'));
    if (described !== undefined) {
      const describedContent = normalizeTaskDefinition(described.taskDefinition, described.tags);
      if (contentHash(describedContent) === hash && described.taskDefinition.taskDefinitionArn !== undefined) {
        cache.known.set(familyKey, { taskDefinitionArn: described.taskDefinition.taskDefinitionArn, hash });
        options.logger?.debug(`Task definition ${described.taskDefinition.taskDefinitionArn} is up to date`);
        return { taskDefinitionArn: described.taskDefinition.taskDefinitionArn, registered: false, source: 'described' };
      }
      options.logger?.info(
        `Registering a new revision of task definition family "${family}": ${differingPaths(describedContent, wantedContent).join(', ')} changed`,
      );
    } else {
      options.logger?.info(`Registering task definition family "${family}"`);
    }

    const response = await retryThrottled(() => clients.ecs.send(new RegisterTaskDefinitionCommand(wanted)), options.retry).catch((error: unknown) => {
      throw mapAwsError(error, context('ecs:RegisterTaskDefinition'));
    });
    const registered = response.taskDefinition;
    const taskDefinitionArn = registered?.taskDefinitionArn;
    if (registered === undefined || taskDefinitionArn === undefined) {
      throw mapAwsError(new Error('RegisterTaskDefinition returned no task definition'), context('ecs:RegisterTaskDefinition'));
    }
    const registeredContent = normalizeTaskDefinition(registered, response.tags ?? wanted.tags);
    if (contentHash(registeredContent) !== hash) {
      // Harmless for this process, but every new process would register again: worth a report.
      options.logger?.warn(
        `ECS changed ${differingPaths(wantedContent, registeredContent).join(', ')} of task definition ${taskDefinitionArn} on registration; ` +
          'later processes will not recognise it and will register again (please report this to flowenv)',
      );
    }
    cache.known.set(familyKey, { taskDefinitionArn, hash });
    return { taskDefinitionArn, registered: true, source: 'registered' };
  })();
  cache.inFlight.set(flightKey, work);
  try {
    return await work;
  } finally {
    cache.inFlight.delete(flightKey);
  }
}

function familyKeyOf(scope: string, family: string): string {
  return `${scope}\u0000${family}`;
}

/** The family's latest ACTIVE revision with its tags, or undefined when the family has none. */
async function describeLatest(
  clients: Pick<AwsClients, 'ecs'>,
  family: string,
  retry: RetryOptions | undefined,
  context: AwsCallContext,
): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] } | undefined> {
  try {
    const response = await retryThrottled(() => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] })), retry);
    return response.taskDefinition === undefined ? undefined : { taskDefinition: response.taskDefinition, tags: response.tags ?? [] };
  } catch (error) {
    if (isMissingTaskDefinition(error)) return undefined;
    throw mapAwsError(error, context);
  }
}

/**
 * ECS answers a family with no active revision with a ClientException ("Unable to describe task
 * definition."); only that means "missing". Access denied, throttling and the rest do not.
 */
export function isMissingTaskDefinition(error: unknown): boolean {
  const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown };
  return (
    (name === 'ClientException' || name === 'ResourceNotFoundException') &&
    typeof message === 'string' &&
    /unable to describe task definition|not found|does not exist|no task definition/i.test(message)
  );
}
