import type { ContainerDefinition, KeyValuePair, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { ClusterIdentity } from './cluster-identity.js';
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
  /**
   * True when the definitions reference a role or log group created for this run: they are then
   * tagged with the run and deregistered with the cluster (nobody else can use them).
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

/** flowenv's variables, then the user's `environment` (which wins by name). */
function containerEnvironment(own: Record<string, string>, settings: EcsClusterSettings): KeyValuePair[] {
  return Object.entries({ ...own, ...settings.environment }).map(([name, value]) => ({ name, value }));
}

function definition(
  role: 'scheduler' | 'worker',
  settings: EcsClusterSettings,
  input: TaskDefinitionInput,
  container: Pick<ContainerDefinition, 'name' | 'command' | 'environment'>,
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
 * The scheduler's task definition. Everything that changes per run (TLS material) travels in the
 * RunTask overrides, so with your own roles and log group the content is the same every run and
 * one definition is reused.
 */
export function buildSchedulerTaskDefinition(settings: EcsClusterSettings, input: TaskDefinitionInput): RegisterTaskDefinitionCommandInput {
  return definition('scheduler', settings, input, {
    name: SCHEDULER_CONTAINER,
    command: schedulerCommand(settings),
    // 0.11's Dask job blocked these handlers too: they run arbitrary code on the scheduler.
    environment: containerEnvironment({ DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS: "['feed', 'run_function']" }, settings),
  });
}

/** The workers' task definition (the scheduler address is added by RunTask overrides). */
export function buildWorkerTaskDefinition(settings: EcsClusterSettings, input: TaskDefinitionInput): RegisterTaskDefinitionCommandInput {
  return definition('worker', settings, input, {
    name: WORKER_CONTAINER,
    command: workerCommand(settings),
    environment: containerEnvironment({}, settings),
  });
}
