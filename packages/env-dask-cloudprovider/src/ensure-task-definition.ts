import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { Logger } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import { awsErrorMessage, hasAwsErrorName, mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { differingPaths, normalizeTaskDefinition } from './normalize-task-definition.js';
import { retryThrottled } from './retry-throttled.js';

export interface EnsuredTaskDefinition {
  taskDefinitionArn: string;
  /** True when this call registered a new revision. */
  registered: boolean;
}

export interface EnsureTaskDefinitionOptions {
  /**
   * Look for an equal definition first (content compared after normalising what ECS adds). Off for
   * definitions that name this run's roles: they cannot exist yet.
   */
  reuse: boolean;
  callContext: Omit<AwsCallContext, 'action'>;
  logger: Logger;
}

/**
 * The ARN of a definition with exactly the wanted content: the family's latest ACTIVE revision
 * when it is equal, else a newly registered revision (reuse by content, not by family name: a new
 * image or size takes effect, and identical runs do not pile up revisions).
 */
export async function ensureTaskDefinition(
  clients: Pick<AwsClients, 'ecs'>,
  wanted: RegisterTaskDefinitionCommandInput,
  options: EnsureTaskDefinitionOptions,
): Promise<EnsuredTaskDefinition> {
  const context = (action: string): AwsCallContext => ({ action, ...options.callContext });
  const family = wanted.family ?? '';
  if (options.reuse) {
    const described = await retryThrottled(() => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }))).catch((error: unknown) => {
      if (isMissingTaskDefinition(error)) return undefined;
      throw mapAwsError(error, context('ecs:DescribeTaskDefinition'));
    });
    const existing = described?.taskDefinition;
    if (existing?.taskDefinitionArn !== undefined && existing.status !== 'INACTIVE') {
      const existingContent = normalizeTaskDefinition(existing, described?.tags ?? []);
      const wantedContent = normalizeTaskDefinition(wanted);
      if (JSON.stringify(existingContent) === JSON.stringify(wantedContent)) {
        options.logger.debug(`Reusing task definition ${existing.taskDefinitionArn}`);
        return { taskDefinitionArn: existing.taskDefinitionArn, registered: false };
      }
      options.logger.info(`Registering a new revision of task definition family "${family}": ${differingPaths(existingContent, wantedContent).join(', ')} changed`);
    }
  }
  const response = await retryThrottled(() => clients.ecs.send(new RegisterTaskDefinitionCommand(wanted))).catch((error: unknown) => {
    throw mapAwsError(error, context('ecs:RegisterTaskDefinition'));
  });
  const taskDefinitionArn = response.taskDefinition?.taskDefinitionArn;
  if (taskDefinitionArn === undefined) throw mapAwsError(new Error('RegisterTaskDefinition returned no task definition'), context('ecs:RegisterTaskDefinition'));
  return { taskDefinitionArn, registered: true };
}

/** ECS answers a family with no active revision with a ClientException ("Unable to describe task definition."). */
export function isMissingTaskDefinition(error: unknown): boolean {
  return hasAwsErrorName(error, 'ClientException', 'ResourceNotFoundException') &&
    /unable to describe task definition|not found|does not exist|no task definition/i.test(awsErrorMessage(error));
}
