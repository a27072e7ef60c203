/**
 * One AWS resource a cluster created, recorded as soon as the call that made it returned, so a
 * failure at any later point still removes it.
 */
export type CreatedResource =
  | { kind: 'task'; arn: string; cluster: string; role: 'scheduler' | 'worker' }
  | {
      kind: 'task-definition';
      arn: string;
      /** References a role or log group of this run: always deregistered. Otherwise only with `skipCleanup: false`. */
      runScoped: boolean;
    }
  | { kind: 'security-group'; id: string }
  | { kind: 'ecs-cluster'; arn: string }
  | {
      kind: 'iam-role';
      name: string;
      /** Inline policies put (or being put) on it: deleted before the role. */
      inlinePolicies: string[];
      /** Managed policies attached (or being attached): detached before the role. */
      attachedPolicies: string[];
    }
  | { kind: 'log-group'; name: string }
  | {
      kind: 'secret';
      /** The ARN, or the name when CreateSecret's answer was lost (either deletes it). */
      id: string;
    };

export type CreatedResourceKind = CreatedResource['kind'];

/** "security group sg-123", "IAM role flowenv-dask-1a2b3c4d-execution", … */
export function describeResource(resource: CreatedResource): string {
  switch (resource.kind) {
    case 'task':
      return `${resource.role} task ${resource.arn}`;
    case 'task-definition':
      return `task definition ${resource.arn}`;
    case 'security-group':
      return `security group ${resource.id}`;
    case 'ecs-cluster':
      return `ECS cluster ${resource.arn}`;
    case 'iam-role':
      return `IAM role ${resource.name}`;
    case 'log-group':
      return `log group ${resource.name}`;
    case 'secret':
      return `secret ${resource.id}`;
  }
}
