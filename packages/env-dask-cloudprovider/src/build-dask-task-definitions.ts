import type { ContainerDefinition, KeyValuePair, RegisterTaskDefinitionCommandInput, Secret } from '@aws-sdk/client-ecs';
import type { ClusterIdentity } from './cluster-identity.js';
import { daskTlsSecrets } from './dask-tls-environment.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { ecsTags, resourceTags } from './resource-tags.js';

export const SCHEDULER_CONTAINER = 'dask-scheduler';
export const WORKER_CONTAINER = 'dask-worker';
export const SCHEDULER_PORT = 8786;
export const DASHBOARD_PORT = 8787;

/** What the definitions reference besides the options: roles and log group, given or created. */
export interface TaskDefinitionInput {
  identity: ClusterIdentity;
  region: string;
  executionRoleArn: string;
  taskRoleArn: string | undefined;
  logGroupName: string;
  /** ARN of the run's TLS secret, which the containers' `secrets` read (see daskTlsSecrets). */
  tlsSecretArn: string;
  /**
   * True when the definitions reference a role, log group or secret created for this run: they
   * are then tagged with the run and deregistered with the cluster (nobody else can use them).
   * The built-in providers always reference the run's TLS secret, so they always pass true.
   */
  runScoped: boolean;
}

/** The scheduler's command: TLS on 8786, dashboard on 8787, exit when idle. */
export function schedulerCommand(settings: EcsClusterSettings): string[] {
  return [
    ...settings.schedulerCommand,
    '--protocol', 'tls',
    '--port', String(SCHEDULER_PORT),
    '--dashboard-address', `:${DASHBOARD_PORT}`,
    '--idle-timeout', `${settings.schedulerIdleTimeoutSeconds}s`,
  ];
}

/**
 * The worker's command without the scheduler address (RunTask appends it). Each task has its own
 * network interface, so the worker and its nanny listen on the same fixed ports 8786 and 8787
 * that the security group admits; the protocol (tls) follows the scheduler address.
 */
export function workerCommand(settings: EcsClusterSettings): string[] {
  return [
    ...settings.workerCommand,
    '--nthreads', String(settings.workerThreads),
    '--memory-limit', `${settings.workerMemory}MiB`,
    '--worker-port', String(SCHEDULER_PORT),
    '--nanny-port', String(DASHBOARD_PORT),
    '--no-dashboard',
    '--death-timeout', `${settings.workerDeathTimeoutSeconds}s`,
  ];
}

/**
 * flowenv's variables, then the user's `environment` (which wins by name), except the names the
 * container gets from `secrets`: a name in both lists would be ambiguous, and the TLS material
 * wins (as it did when it travelled in the RunTask overrides).
 */
function containerEnvironment(own: Record<string, string>, settings: EcsClusterSettings, secrets: readonly Secret[]): KeyValuePair[] {
  const secretNames = new Set(secrets.map((secret) => secret.name));
  return Object.entries({ ...own, ...settings.environment })
    .filter(([name]) => !secretNames.has(name))
    .map(([name, value]) => ({ name, value }));
}

function definition(
  role: 'scheduler' | 'worker',
  settings: EcsClusterSettings,
  input: TaskDefinitionInput,
  container: Pick<ContainerDefinition, 'name' | 'command' | 'environment' | 'secrets'>,
): RegisterTaskDefinitionCommandInput {
  const cpu = role === 'scheduler' ? settings.schedulerCpu : settings.workerCpu;
  const memory = role === 'scheduler' ? settings.schedulerMemory : settings.workerMemory;
  return {
    family: `${settings.familyPrefix}-${role}`,
    networkMode: 'awsvpc',
    requiresCompatibilities: [settings.launchType],
    cpu: String(cpu),
    memory: String(memory),
    executionRoleArn: input.executionRoleArn,
    ...(input.taskRoleArn === undefined ? {} : { taskRoleArn: input.taskRoleArn }),
    containerDefinitions: [
      {
        ...container,
        image: settings.image,
        essential: true,
        // Container-level memory too: the whole task is this one container.
        memory,
        portMappings: [
          { containerPort: SCHEDULER_PORT, protocol: 'tcp' },
          { containerPort: DASHBOARD_PORT, protocol: 'tcp' },
        ],
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': input.logGroupName, 'awslogs-region': input.region, 'awslogs-stream-prefix': role },
        },
      },
    ],
    tags: ecsTags(resourceTags(settings.tags, input.runScoped ? input.identity.runId : undefined)),
  };
}

/**
 * The scheduler's task definition. Its TLS certificate and key come from the run's secret
 * (`secrets`, read by ECS when the container starts): RunTask overrides cannot carry `secrets`,
 * and a value in the overrides is readable by anyone allowed ecs:DescribeTasks.
 */
export function buildSchedulerTaskDefinition(settings: EcsClusterSettings, input: TaskDefinitionInput): RegisterTaskDefinitionCommandInput {
  const secrets = daskTlsSecrets('scheduler', input.tlsSecretArn);
  return definition('scheduler', settings, input, {
    name: SCHEDULER_CONTAINER,
    command: schedulerCommand(settings),
    // 0.11's Dask job blocked these handlers too: they run arbitrary code on the scheduler.
    environment: containerEnvironment({ DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS: "['feed', 'run_function']" }, settings, secrets),
    secrets,
  });
}

/** The workers' task definition: TLS from the run's secret; RunTask overrides add the scheduler address. */
export function buildWorkerTaskDefinition(settings: EcsClusterSettings, input: TaskDefinitionInput): RegisterTaskDefinitionCommandInput {
  const secrets = daskTlsSecrets('worker', input.tlsSecretArn);
  return definition('worker', settings, input, {
    name: WORKER_CONTAINER,
    command: workerCommand(settings),
    environment: containerEnvironment({}, settings, secrets),
    secrets,
  });
}
